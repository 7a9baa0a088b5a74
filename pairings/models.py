# Models arrive with their issue; the app is wired so that migrations and URLs have a home.
