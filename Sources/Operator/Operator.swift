// Controller runtime and reconcilers; see issue 5.
