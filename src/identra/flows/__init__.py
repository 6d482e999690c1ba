"""Login flows: the interface protocol code hands logins to, and its implementations."""
