"""Who may see what: every scope of the portal, stated once (access.scopes), with the sign-in rule
that follows from it (a chair or the national lead must use two-factor authentication) and the
navigation each user is offered."""
