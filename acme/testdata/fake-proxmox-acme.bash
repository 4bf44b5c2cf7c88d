# A stand-in for /usr/share/proxmox-acme/proxmox-acme with the same
# calling convention and the same data loader: it reads the TXT value and
# then KEY=VALUE lines from standard input and exports each line with
# ADDR=(${line/=/ }), which keeps a value only up to its first space. It
# then records what a dnsapi plugin would see in the file "result" next
# to itself.
action=$1
api=$2
domain=$3
IFS= read -r txtvalue
while IFS= read -r line; do
	ADDR=(${line/=/ })
	key="${ADDR[0]}"
	value="${ADDR[1]}"
	if [ -n "$key" ]; then
		export "$key"="$value"
	fi
done
printf 'uid=%s action=%s api=%s domain=%s txt=%s secret=%s\n' \
	"$(id -u)" "$action" "$api" "$domain" "$txtvalue" "${SECRET-}" >>"$(dirname "$0")/result"
