"""Services of the Lightspeed channel: each writes, in one transaction, and only they call the client."""
