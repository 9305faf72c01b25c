"""Organizer accounts, their sign-in and their API tokens."""
