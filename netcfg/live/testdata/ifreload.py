# Benchmark anchor: ifupdown2 run from its Debian package unpacked (never
# installed) into $IFUPDOWN2_ROOT, as ifreload/ifup, with its state and
# run directories under $IFUPDOWN2_STATE so that it never touches the
# host's /run/network, reading $IFUPDOWN2_INTERFACES as its interfaces
# file. Run it inside the benchmark's network namespace:
#   ip netns exec NS python3 ifreload.py ifreload -a
import os, sys, importlib.util
root = os.environ['IFUPDOWN2_ROOT']
state = os.environ['IFUPDOWN2_STATE']
pkg = os.path.join(root, 'usr/share/ifupdown2')
sys.path[:0] = [pkg]
os.makedirs(state, exist_ok=True)
conf = os.path.join(state, 'ifupdown2.conf')
with open(os.path.join(root, 'etc/network/ifupdown2/ifupdown2.conf')) as f:
    text = f.read()
with open(conf, 'w') as f:
    text = text.replace('state_dir=/var/tmp/network/', 'state_dir=%s/state/' % state)
    text = text.replace('default_interfaces_configfile=/etc/network/interfaces', 'default_interfaces_configfile=%s' % os.environ['IFUPDOWN2_INTERFACES'])
    f.write(text)
import ifupdown.config as config
config.IFUPDOWN2_CONF_PATH = conf
config.ADDONS_CONF_PATH = os.path.join(root, 'etc/network/ifupdown2/addons.conf')
import ifupdown.statemanager as sm
sm.stateManager.state_rundir = os.path.join(state, 'run') + '/'
import ifupdown.main as ifmain
ifmain.lockfile = os.path.join(state, '.lock')
sys.argv = sys.argv[1:]
spec = importlib.util.spec_from_file_location('ifupdown2_main', os.path.join(pkg, '__main__.py'))
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
sys.exit(m.main())
