# tests/servers/nginx.sh: starts a private nginx for the fetch tests and the
# fetch benchmark (sourced). Nothing from /etc/nginx is read.
#
# nginx_find: sets NGINX to the binary (it lives in /usr/sbin, often not on a
# user's PATH); returns 1 when nginx is not installed.
#
# nginx_start DIR DOCROOT [GZIP] [WORKERS]: writes DIR/nginx.conf (pid, logs and
# temp paths in DIR, `daemon off;`, ETags on, gzip for feed types when GZIP is
# "on"), starts nginx in the background as the current user on a free
# 127.0.0.1 port and waits until it answers. Sets NGINX_PORT and NGINX_PID;
# the access log is DIR/access.log, one line per request:
#   STATUS BYTES_SENT BODY_BYTES_SENT GZIP_RATIO CONTENT_ENCODING "URI" "IF_NONE_MATCH" "IF_MODIFIED_SINCE" MSEC
# The caller kills NGINX_PID (a trap). Returns 1 if nginx did not start.

nginx_find() {
	NGINX=$(command -v nginx 2>/dev/null || true)
	[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
	[ -n "$NGINX" ]
}

_nginx_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

nginx_start() {
	local dir=$1 docroot=$2 gzip=${3:-on} workers=${4:-1} user_line="" try i
	nginx_find || return 1
	mkdir -p "$dir/client_body" "$dir/proxy" "$dir/fastcgi" "$dir/uwsgi" "$dir/scgi"
	# as root nginx would hand its workers to "nobody", who cannot read a
	# private temp dir: keep them as the current user
	if [ "$(id -u)" -eq 0 ]; then user_line="user $(id -un) $(id -gn);"; fi
	for try in 1 2 3 4 5; do
		NGINX_PORT=$(_nginx_free_port) || return 1
		cat >"$dir/nginx.conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
	types {
		application/rss+xml rss;
		application/atom+xml atom;
		text/xml xml;
	}
	default_type application/octet-stream;
	log_format pm '\$status \$bytes_sent \$body_bytes_sent \$gzip_ratio '
		'\$sent_http_content_encoding "\$uri" "\$http_if_none_match" '
		'"\$http_if_modified_since" \$msec';
	access_log $dir/access.log pm;
	client_body_temp_path $dir/client_body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	sendfile on;
	etag on;
	if_modified_since exact;
	keepalive_timeout 60s;
	keepalive_requests 1000000;
	gzip $gzip;
	gzip_min_length 100;
	gzip_types application/rss+xml application/atom+xml text/xml;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		server_name localhost;
		root $docroot;
		# the readiness probe below: never logged, so that tests can
		# count the requests in the access log
		location = /__ready { access_log off; return 204; }
	}
}
EOF
		"$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/nginx.out" 2>&1 &
		NGINX_PID=$!
		for i in $(seq 1 100); do
			if ! kill -0 "$NGINX_PID" 2>/dev/null; then
				break # exited: most likely the port was taken meanwhile
			fi
			# nginx logs a request after answering it: a probe logged
			# and then truncated away could still add its line after
			# the truncation, so the probe's location logs nothing
			if curl -s -o /dev/null --noproxy '*' "http://127.0.0.1:$NGINX_PORT/__ready"; then
				: >"$dir/access.log"
				return 0
			fi
			sleep 0.05
		done
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
	done
	echo "nginx did not start: $(tail -n 3 "$dir/error.log" "$dir/nginx.out" 2>/dev/null)" >&2
	return 1
}
