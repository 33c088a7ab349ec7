
xa-binh-chauJBS-BCRÄ∫¡¡")
'#no known anti-malware product found*#
!neither apt-get nor dnf found2:
84cannot read /proc/sys/net/ipv6/conf/all/disable_ipv6:I
GCnft list ruleset failed (root is required): Operation not permitted