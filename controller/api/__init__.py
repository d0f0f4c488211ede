"""What every HTTP API of the controller shares: errors, token validation, the app tree."""
