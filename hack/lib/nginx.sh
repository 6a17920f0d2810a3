# Sourced by the webhook benchmarks.

# write_nginx_conf DIR PORT CERT_DIR WORKERS [MASTER_PROCESS]: DIR/nginx.conf for the nginx the webhook is compared
# with: WORKERS worker processes, OpenSSL with CERT_DIR/tls.crt and tls.key on 127.0.0.1:PORT, the TLS versions the
# webhook negotiates, a static 200, its files under DIR. MASTER_PROCESS "off" serves from the process started (one
# worker, as valgrind needs it); default "on".
write_nginx_conf() {
    local dir=$1 port=$2 certs=$3 workers=$4 master=${5:-on}
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<NGINX
worker_processes $workers;
master_process $master;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 10000000;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $certs/tls.crt;
        ssl_certificate_key $certs/tls.key;
        # What the webhook negotiates (nginx 1.22 leaves TLS 1.3 off by default, and the API server's
        # Go client prefers it).
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { default_type application/json; return 200 '{"ok":true}'; }
    }
}
NGINX
}
