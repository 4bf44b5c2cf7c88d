# hostadm: run a proxmox-acme style dns plugin script with whole values.
#
# Usage: bash whole-values.bash SCRIPT setup|teardown API DOMAIN
# Standard input: the TXT value, then KEY=VALUE lines of plugin data.
#
# proxmox-acme loads plugin data with ADDR=(${line/=/ }), which cuts every
# value at its first space. This wrapper exports each value whole, then
# runs SCRIPT with only the TXT value on its standard input, so that the
# script's loader finds no data to cut.
set -u
script=$1
shift
IFS= read -r txtvalue || exit 1
while IFS= read -r line || [ -n "$line" ]; do
	case $line in
	'' | '#'*) continue ;;
	*=*) ;;
	*) continue ;;
	esac
	key=${line%%=*}
	[[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
	export "$key=${line#*=}"
done
unset line key
exec /bin/bash "$script" "$@" <<<"$txtvalue"
