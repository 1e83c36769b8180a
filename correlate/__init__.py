"""ikescope's log side: router/VPN log parsing, alignment with the capture,
explanations and implied configuration (to come; see the project issues)."""
