
U
a-77aa01BS-TC-LAPTOP7Windows 11 Pro"23H2*
22631.2428:x86_64B0.1.0JBS-TCR˜¨îÁ€Êµî"í
r
Windows Defender	Microsoft"1.421.1234.0*éÁ08B5root\Microsoft\Windows\Defender MSFT_MpComputerStatus`s
'Kaspersky Endpoint Security for Windows	KasperskyB=root\SecurityCenter2 AntiVirusProduct (productState 0x041000)*J
"Àµ„Á*À‰æÁ08BWindows Update AgentXb	KB5031354b	KB50314552c
HRCno routable IPv6 address (global 2000::/3 or unique-local fc00::/7)rGetAdaptersAddresses:>
windows 2
domain2
private 2
public