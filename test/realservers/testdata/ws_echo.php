<?php
// A minimal RFC 6455 echo server on stream_socket_server: one connection at
// a time, text/binary frames echoed, pings answered, close answered.
// Usage: php ws_echo.php tls://127.0.0.1:PORT CERT KEY   or   php ws_echo.php tcp://127.0.0.1:PORT
error_reporting(E_ALL);
$addr = $argv[1];
$ctx = stream_context_create(['ssl' => [
    'local_cert' => $argv[2] ?? '', 'local_pk' => $argv[3] ?? '',
    'verify_peer' => false, 'allow_self_signed' => true,
]]);
$srv = stream_socket_server($addr, $errno, $errstr, STREAM_SERVER_BIND | STREAM_SERVER_LISTEN, $ctx);
if (!$srv) { fwrite(STDERR, "listen $addr: $errstr\n"); exit(1); }
fwrite(STDERR, "listening on $addr\n");

function read_exact($c, $n) {
    $buf = '';
    while (strlen($buf) < $n) {
        $chunk = fread($c, $n - strlen($buf));
        if ($chunk === false || ($chunk === '' && feof($c))) return false;
        $buf .= $chunk;
    }
    return $buf;
}

function frame($opcode, $payload) {
    $n = strlen($payload);
    if ($n < 126) return chr(0x80 | $opcode) . chr($n) . $payload;
    if ($n < 65536) return chr(0x80 | $opcode) . chr(126) . pack('n', $n) . $payload;
    return chr(0x80 | $opcode) . chr(127) . pack('J', $n) . $payload;
}

function serve($c) {
    $head = '';
    while (!str_contains($head, "\r\n\r\n")) {
        $line = fgets($c, 8192);
        if ($line === false) return;
        $head .= $line;
    }
    if (!preg_match('/^Sec-WebSocket-Key:\s*(\S+)/mi', $head, $m)) {
        fwrite($c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 26\r\nConnection: close\r\n\r\nnot a WebSocket handshake\n");
        return;
    }
    $accept = base64_encode(sha1($m[1] . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11', true));
    fwrite($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n");
    while (true) {
        $h = read_exact($c, 2);
        if ($h === false) return;
        $opcode = ord($h[0]) & 0x0f;
        $masked = ord($h[1]) & 0x80;
        $len = ord($h[1]) & 0x7f;
        if ($len == 126) { $len = unpack('n', read_exact($c, 2))[1]; }
        elseif ($len == 127) { $len = unpack('J', read_exact($c, 8))[1]; }
        $mask = $masked ? read_exact($c, 4) : "\0\0\0\0";
        $payload = $len > 0 ? read_exact($c, $len) : '';
        if ($payload === false) return;
        for ($i = 0; $i < $len; $i++) $payload[$i] = $payload[$i] ^ $mask[$i % 4];
        switch ($opcode) {
            case 0x1: case 0x2: fwrite($c, frame($opcode, $payload)); break;
            case 0x9: fwrite($c, frame(0xA, $payload)); break;
            case 0x8: fwrite($c, frame(0x8, substr($payload, 0, 2))); return;
        }
    }
}

while (true) {
    $c = @stream_socket_accept($srv, -1);
    if (!$c) {
        $e = error_get_last();
        fwrite(STDERR, "accept: " . ($e['message'] ?? 'failed') . "\n");
        continue;
    }
    serve($c);
    fclose($c);
}
