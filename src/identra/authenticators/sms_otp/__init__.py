"""The ``sms-otp`` option: a 6-digit code by text message (second factor)."""
