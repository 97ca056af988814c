"""Rules of the field as plain functions: no Telegram, no database."""
