"""The ``email-otp`` option (a 6-digit code by email); also home of the machinery the
``sms-otp`` and ``magic-link`` options share (:mod:`.outofband`)."""
