"""Sign-in through each agency's own identity provider (OpenID Connect, Authlib)."""
