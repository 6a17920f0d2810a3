// Kubernetes API test server; see issue 3.
