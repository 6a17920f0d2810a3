// The Kubernetes client; see issue 3.
