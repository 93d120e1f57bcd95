"""Command-line interface (`treaty`). Sits on the headless core; the core never imports it."""
