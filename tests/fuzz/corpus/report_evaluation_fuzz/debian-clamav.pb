
Z

a-3f9c2e1b
bs-vp-pc01Debian GNU/Linux"1226.1.0-26-amd64:x86_64B0.1.0JBS-VPR*ð“îÁ"e
x]
ClamAVCisco Talos"27300*à–ìÁ0B/var/lib/clamav/daily.cldJ1.0.7+dfsg-1~deb12u1PX*ž
KDrunning kernel 6.1.0-26-amd64 is older than installed 6.1.0-28-amd64”
"€ºÁÁ*€³íÁ08Bapt-get -s dist-upgradeJ6.1.0-26-amd64R6.1.0-28-amd642¼
(J
eth0
fd00::25@ @€£HÀpP€X"
fe80::5054:ff:fe12:3456@ P€ *fe80::12fd00::53:%collector.binhson.localfd00::10B[fd00::10]:8443HXbeth0jrarnetlink:
nftables (