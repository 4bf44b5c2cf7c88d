# Test oracle: ifupdown2's ifquery from the Debian package unpacked (not
# installed) into the directory given by IFQUERY_ORACLE_ROOT, with its
# configuration and state directories redirected to a private temporary
# directory so that it never touches the host's /run/network or /var/tmp.
# The tests run it in a new network namespace as well (unshare -rn).
#
# The configuration is Debian's, with one change: Proxmox VE hosts commonly
# have several VLAN-aware bridges, so multiple_vlan_aware_bridge_support is
# on. python3-mako is left out unless IFQUERY_ORACLE_MAKO=1, as on a
# default install (ifupdown2 only suggests it).
import os, sys, tempfile, importlib.util
root = os.environ['IFQUERY_ORACLE_ROOT']
pkg = os.path.join(root, 'usr/share/ifupdown2')
sys.path[:0] = [pkg]
if os.environ.get('IFQUERY_ORACLE_MAKO') == '1':
    sys.path.insert(1, os.path.join(root, 'usr/lib/python3/dist-packages'))
tmp = tempfile.mkdtemp(prefix='ifquery-oracle-')
conf = os.path.join(tmp, 'ifupdown2.conf')
with open(os.path.join(root, 'etc/network/ifupdown2/ifupdown2.conf')) as f:
    text = f.read()
with open(conf, 'w') as f:
    f.write(text.replace('state_dir=/var/tmp/network/', 'state_dir=%s/state/' % tmp).replace('multiple_vlan_aware_bridge_support=0', 'multiple_vlan_aware_bridge_support=1'))
import ifupdown.config as config
config.IFUPDOWN2_CONF_PATH = conf
config.ADDONS_CONF_PATH = os.path.join(root, 'etc/network/ifupdown2/addons.conf')
import ifupdown.statemanager as sm
sm.stateManager.state_rundir = os.path.join(tmp, 'run') + '/'
sys.argv[0] = 'ifquery'
spec = importlib.util.spec_from_file_location('ifupdown2_main', os.path.join(pkg, '__main__.py'))
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
try:
    rc = m.main()
finally:
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(rc)
