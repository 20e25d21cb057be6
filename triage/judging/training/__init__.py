"""Fitting, evaluating and retraining the offline models: never imported by the domain."""
