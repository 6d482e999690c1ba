"""Self-service: the password policy, self-registration with email verification, password
recovery and the data side of the My Account portal (the pages are in
``identra.web.account``)."""
