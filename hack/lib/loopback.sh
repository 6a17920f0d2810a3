# Sourced by the hack scripts that serve on loopback.

# free_port: a TCP port on 127.0.0.1 that nothing listens on.
free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }

# issue_certificate CA_DIR LEAF_KEY LEAF_CRT SUBJECT_ALT_NAMES [DAYS]: a P-256 CA (CA_DIR/ca.key, CA_DIR/ca.crt, made
# once) and a server certificate signed by it for SUBJECT_ALT_NAMES (e.g. "DNS:localhost,IP:127.0.0.1"). Makes the
# directories it writes to.
issue_certificate() {
    local ca_dir=$1 key=$2 crt=$3 names=$4 days=${5:-2}
    mkdir -p "$ca_dir" "$(dirname "$key")" "$(dirname "$crt")"
    if [ ! -f "$ca_dir/ca.crt" ]; then
        openssl ecparam -name prime256v1 -genkey -noout -out "$ca_dir/ca.key" 2>/dev/null
        openssl req -x509 -new -key "$ca_dir/ca.key" -subj "/CN=loopback-ca" -days "$days" -out "$ca_dir/ca.crt" 2>/dev/null
    fi
    openssl ecparam -name prime256v1 -genkey -noout -out "$key" 2>/dev/null
    local first=${names%%,*}
    openssl req -new -key "$key" -subj "/CN=${first#*:}" -out "$key.csr" 2>/dev/null
    printf "subjectAltName=%s\nextendedKeyUsage=serverAuth\n" "$names" >"$key.ext"
    openssl x509 -req -in "$key.csr" -CA "$ca_dir/ca.crt" -CAkey "$ca_dir/ca.key" -CAcreateserial -days "$days" \
        -extfile "$key.ext" -out "$crt" 2>/dev/null
    rm -f "$key.csr" "$key.ext"
}
