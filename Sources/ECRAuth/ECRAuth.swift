// AWS authentication; see issue 4.
