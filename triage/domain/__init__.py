"""The domain: the rules (policy, autonomy, senders, urgency) and the data they speak (models, contracts)."""
