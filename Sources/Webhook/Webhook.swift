// Admission webhook; see issue 6.
