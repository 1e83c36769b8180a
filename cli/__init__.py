"""ikescope's command line and rendering (rich, JSON Lines). No protocol logic here."""
