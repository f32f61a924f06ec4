#!/bin/sh
# Make a throwaway PKI for postern's TLS tests (OpenSSL 3.0, EC P-256).
#
# Usage: tests/server/mkcerts.sh DIR
# Creates in DIR:
#   ca.pem ca.key                 trusted test CA (point tls_ca_file here)
#   good.pem good.key             SAN DNS:localhost, IP:127.0.0.1, signed by ca
#   wrongname.pem wrongname.key   SAN DNS:wrong.example only, signed by ca
#   expired.pem expired.key       SAN localhost/127.0.0.1, signed by ca, valid 2020-01-01..2020-01-02
#   selfsigned.pem selfsigned.key self-signed, SAN localhost/127.0.0.1
#   unknownca.pem unknownca.key   SAN localhost/127.0.0.1, signed by other-ca (not trusted)
#   other-ca.pem other-ca.key     the untrusted CA
#   client.pem client.key         client certificate (clientAuth), signed by ca
#   setup.pem setup.key           localhost, 127.0.0.1 and the mail and web hosts
#                                 of tests/integration/setup.sh's .test domains
#   NAME-chain.pem                leaf + issuing CA (for servers that send the chain)
# Idempotent: does nothing if DIR/.done exists; safe to run concurrently.
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
[ -f "$dir/.done" ] && exit 0
cd "$dir"
# Several tests may share one DIR: the first makes the files, others wait.
exec 9>.lock
flock 9
[ -f .done ] && exit 0
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

SAN_GOOD="subjectAltName=DNS:localhost,IP:127.0.0.1"

# CA (name, subject)
mkca() {
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1.pem"
}
mkca ca "postern test CA"
mkca other-ca "postern untrusted CA"

# leaf NAME CA SAN CN [EKU]
leaf() {
    key "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$4" -out "$1.csr"
    printf '[leaf]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = %s\n%s\n' "${5:-serverAuth}" "$3" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 825 -sha256 -extfile "$1.ext" -extensions leaf -out "$1.pem" 2>/dev/null
    cat "$1.pem" "$2.pem" > "$1-chain.pem"
    rm -f "$1.csr" "$1.ext"
}
leaf good ca "$SAN_GOOD" localhost
leaf wrongname ca "subjectAltName=DNS:wrong.example" wrong.example
leaf unknownca other-ca "$SAN_GOOD" localhost
leaf client ca "" "postern test client" clientAuth
# one certificate for the Postfix and the autoconfig web server of
# tests/integration/setup.sh (names it discovers through its own DNS)
SETUP_NAMES="mail.srv.test other.srv.test mail.sub.test other.sub.test mail.dot.test
    smtp.ac.test autoconfig.ac.test autoconfig.wk.test wk.test smtp.wk.test
    autoconfig.redir.test smtp.redir.test smtp.badcert.test smtp.http.test
    smtp.probe1.test mail.probe.test autoconfig.big.test smtp.big.test smtp.slow.test"
leaf setup ca "$SAN_GOOD$(printf ',DNS:%s' $SETUP_NAMES)" localhost

# expired: OpenSSL 3.0's x509 cannot backdate, `openssl ca` can (-startdate/-enddate).
key expired.key
openssl req -new -key expired.key -subj "/CN=localhost" -out expired.csr
mkdir -p ca.db
: > ca.db/index.txt
cat > ca.cnf <<EOC
[ca]
default_ca = test
[test]
dir = .
database = ca.db/index.txt
new_certs_dir = ca.db
serial = ca.db/serial
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
$SAN_GOOD
EOC
openssl rand -hex 8 > ca.db/serial
openssl ca -batch -config ca.cnf -extensions leaf -notext \
    -startdate 20200101000000Z -enddate 20200102000000Z \
    -in expired.csr -out expired.pem 2>/dev/null
cat expired.pem ca.pem > expired-chain.pem
rm -rf expired.csr ca.cnf ca.db

# self-signed leaf for localhost
key selfsigned.key
openssl req -x509 -new -key selfsigned.key -sha256 -days 825 -subj "/CN=localhost" \
    -addext "$SAN_GOOD" -addext "basicConstraints=critical,CA:FALSE" \
    -addext "extendedKeyUsage=serverAuth" -out selfsigned.pem
cp selfsigned.pem selfsigned-chain.pem

chmod 644 ./*.pem
chmod 600 ./*.key
touch .done
