// OpenSSL TLS on swift-nio; see issue 6.
