#!/bin/sh
# mmdebstrap customize hook for the lab images. $1: the root file system being built, $2: node | infra.
set -eu
root=$1
kind=$2
here=$(dirname "$0")

# A fresh machine-id per container (systemd writes one at first boot when the file is empty).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

# Nothing to log in on: no gettys in a container.
for unit in getty@tty1.service console-getty.service serial-getty@.service systemd-firstboot.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# Boot-time fix-ups for running as a container (see kha-lab-node-init).
install -m 0755 "$here/kha-lab-node-init" "$root/usr/local/sbin/kha-lab-node-init"
install -m 0644 "$here/kha-lab-node-init.service" "$root/etc/systemd/system/kha-lab-node-init.service"
ln -sf /etc/systemd/system/kha-lab-node-init.service \
  "$root/etc/systemd/system/multi-user.target.wants/kha-lab-node-init.service"

# Keep apt lean and quiet in the nodes.
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/90kha-lab"

if [ "$kind" = infra ]; then
  install -m 0755 "$here/kha-lab-infra-setup" "$root/usr/local/sbin/kha-lab-infra-setup"
  install -m 0755 "$here/kha-lab-apt-index" "$root/usr/local/sbin/kha-lab-apt-index"
  install -m 0644 "$here/nginx-apt.conf" "$root/etc/nginx/sites-available/default"
  install -m 0644 "$here/registry.yml" "$root/etc/docker/registry/config.yml"
fi

