"""Labelled training examples for the offline model, written for this project.

Phrases per category are combined with openings and closings typical of chat
requests, emails and issue reports, so the model learns the content words and
not the wrapper. Deterministic: the same examples every time.
"""

from __future__ import annotations

import random

PHRASES: dict[str, list[str]] = {
    "billing": [
        "I was charged twice this month", "please send me the invoice for March",
        "where can I download my receipts", "my credit card payment failed",
        "how do I update my payment method", "I want a refund for last month",
        "why is my bill higher than usual", "can I get an invoice with our VAT number",
        "there is a charge I do not recognise on my statement", "what payment options do you accept",
        "I need a copy of invoice 4471", "is there a cancellation fee if I end my plan",
        "the payment did not go through", "can I pay by bank transfer instead of card",
        "please correct the company address on my invoices", "my subscription renewed and I was billed",
        "how much will I be charged when I add seats", "I would like my money back",
        "the invoice shows the wrong amount", "when will my refund arrive",
        "can you explain the proration on my bill", "I need to change the billing email",
        "my card was declined but I was still charged", "please stop charging my card",
        "do you offer annual billing with a discount", "I cannot find the invoice for my order",
        "request for a reimbursement of the duplicate payment", "what is your refund policy",
        "ich wurde doppelt belastet, bitte um Rückerstattung", "je voudrais une copie de ma facture",
        "necesito la factura de mi último pago", "fui cobrado duas vezes no cartão",
        "Rechnung für Februar fehlt", "problème de paiement avec ma carte",
        "I need to check my invoice", "how do I get a refund", "help me with a payment issue",
        "what are the accepted payment methods", "I want to see the bill for my last purchase",
        "can you tell me the cancellation fee", "track the status of my refund", "report a problem with a payment",
    ],
    "bug": [
        "the export button returns a 500 error", "the app crashes when I open a project",
        "after the last update the dashboard does not load", "notifications are sent twice",
        "search returns no results even though the ticket exists", "the page is blank in Safari",
        "I get TypeError: cannot read properties of undefined", "file uploads fail with a network error",
        "the date picker shows the wrong month", "dragging a card freezes the board",
        "the API returns 502 for every request since this morning", "login loop after entering 2FA code",
        "attachments over 5 MB are silently dropped", "the mobile app closes immediately on start",
        "webhooks stopped firing yesterday", "the CSV export is missing columns",
        "steps to reproduce: open settings, click save, nothing happens", "expected the filter to apply, actual: the list is empty",
        "stack trace: NullPointerException at TicketService.java:112", "regression in version 3.2: timestamps are off by one hour",
        "emoji in the subject break the ticket view", "the unread counter never resets",
        "clicking reply throws an exception in the console", "sync with GitHub fails with 401 although the token is valid",
        "the editor loses my text when I switch tabs", "markdown tables render as plain text",
        "memory leak: the tab uses 4 GB after an hour", "segfault when running the CLI on Linux",
        "der Export bricht mit Fehler 500 ab", "l'application plante quand j'ouvre un projet",
        "la página se queda en blanco después de iniciar sesión", "o aplicativo trava ao anexar arquivos",
        "wrong error message when the password is too short", "the build fails with ModuleNotFoundError",
        "unexpected behaviour: the counter resets after reload", "crash when the config file is empty",
        "error when importing a CSV with semicolons", "the function returns None instead of the list",
        "broken link on the settings page", "warning spam in the logs since upgrading",
    ],
    "feature_request": [
        "it would be great to have a dark mode", "please add an option to export to PDF",
        "could you support single sign-on with Okta", "we would love a Zapier integration",
        "any plans for a native Linux app", "please allow custom fields on tickets",
        "feature request: bulk edit of tickets", "can you add keyboard shortcuts for triage",
        "it would help if reports could be scheduled weekly", "support for Markdown in comments would be nice",
        "add the ability to merge duplicate contacts", "please make the API return ETags",
        "would be useful to filter by multiple tags at once", "suggestion: show ticket age in the list",
        "we need webhooks for comment events", "proposal: a Python SDK for the API",
        "allow us to set a default assignee per project", "I'd like to see a calendar view",
        "enhancement: configurable retention for attachments", "add support for right-to-left languages",
        "please support Microsoft Teams notifications", "a mobile widget would be handy",
        "wishlist: time tracking on tickets", "can we get two-way sync with Jira",
        "es wäre toll, wenn es einen Dunkelmodus gäbe", "ce serait bien d'avoir un export PDF",
        "sería genial poder exportar a Excel", "seria ótimo ter integração com o Teams",
        "allow exporting dashboards as images", "make it possible to pin important tickets",
        "add an undo button for deleted comments", "support OAuth scopes for read-only tokens",
        "support for exporting reports to Google Sheets", "add an option to disable email notifications per project",
        "allow configuring the retry count in the client", "new command to list archived projects",
        "provide a way to customise the email templates", "expose the ticket history through the API",
        "add a setting to choose the week start day", "implement search by custom field",
        "it should be possible to assign a ticket to several people", "introduce role-based dashboards",
    ],
    "general": [
        "how do I change the email on my account", "where can I see the status of my order",
        "my package has not arrived yet", "can I change the delivery address",
        "how do I invite a colleague to my workspace", "I cannot log in to my account",
        "how do I delete my account", "who can I talk to about my order",
        "I want to speak to a human", "how do I create a new project",
        "what is the difference between admin and member roles", "how do I connect Slack",
        "is there a phone number I can call", "how do I set up my profile picture",
        "I have a complaint about the service I received", "can I transfer ownership of the workspace",
        "how do I use the API to list tickets", "what does this setting do",
        "where do I find my order history", "I need help setting up my account",
        "can you tell me how to reopen a closed ticket", "how long does shipping take",
        "I'd like to update my personal details", "how can I recover my username",
        "question about how tags work", "how do I switch between workspaces",
        "wie ändere ich meine E-Mail-Adresse", "comment inviter un collègue",
        "¿cómo cambio la dirección de entrega?", "como faço para acessar minha conta",
        "thanks for the quick help yesterday", "is the service available in Canada",
        "how can I configure the timeout for API requests", "is it possible to run the CLI behind a proxy",
        "what is the recommended way to structure projects for several teams", "the docs are unclear about how webhooks are signed",
        "question: does the Python client support async", "how should I authenticate a service account",
        "can someone explain how the permissions model works", "what's the best practice for archiving old tickets",
        "is there an example of using the API with pagination", "how do I migrate from version 2 to version 3",
        "which setting controls the default language", "I'm confused about the difference between projects and boards",
        "how can I get the ID of a workspace", "where is the configuration file stored",
        "does the import support Trello boards", "is this the expected behaviour or am I doing something wrong",
        "how do I track my order", "I want to change my shipping address", "can I speak to someone about my account",
        "I need to update my account details", "I'd like to file a complaint about a support agent",
        "how do I close my account", "I have a question about my delivery", "my order arrived damaged, what should I do",
        "how can I contact customer service", "I want to reset my account settings",
    ],
    "faq": [
        "how do I reset my password", "I forgot my password", "which browsers do you support",
        "what are your opening hours", "how can I contact support", "how do I export my data",
        "how do I turn on two-factor authentication", "what are the API rate limits",
        "where can I check if the service is down", "how do I change my email address",
        "Passwort vergessen", "mot de passe oublié", "olvidé mi contraseña", "esqueci minha senha",
        "do you support Safari", "is there a status page", "how do I download a backup of my tickets",
        "what time is live chat available", "can I reach you by phone", "how do I set up 2FA",
    ],
}

OPENINGS = ["", "Hi,", "Hello team,", "Hey there!", "Good morning,", "Dear Acme Help support,", "Hi Acme,", "Hallo,", "Bonjour,", "Hola,"]
CLOSINGS = ["", "Thanks", "Thanks in advance!", "Best regards,\nSam", "Cheers, Alex", "Kind regards\nJordan Lee\nOps Manager", "Thank you!"]
CONTEXT = ["", "We are on the Business plan.", "This is for our team of 12.", "I've been a customer for two years.", "Our workspace is called Northwind.", ""]
QUOTED = "\n\nOn Tue, 3 Nov 2026 at 10:02, Acme Help <support@acme-help.test> wrote:\n> Thanks for reaching out.\n> Best, the Acme Help team"


def examples(seed: int = 7) -> list[tuple[str, str]]:
    """(text, label) pairs: each phrase alone, in a chat line, and in an email."""
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for label, phrases in PHRASES.items():
        for phrase in phrases:
            rows.append((phrase, label))
            rows.append((phrase.lower().rstrip("?.!") + ("?" if rng.random() < 0.5 else ""), label))
            body = "\n\n".join(
                part for part in (rng.choice(OPENINGS), phrase[0].upper() + phrase[1:] + ".", rng.choice(CONTEXT), rng.choice(CLOSINGS)) if part
            )
            if rng.random() < 0.3:
                body += QUOTED
            rows.append((body, label))
    return rows
