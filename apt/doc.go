// Package apt manages a host's package repositories and updates the way
// Proxmox VE's repository panel and apt do: lossless one-line .list and
// deb822 .sources files, classification of Proxmox VE, Ceph and Debian
// repositories with the checks of the GUI and more, dpkg version ordering,
// installed and available package versions, holds, SecureApt key checks,
// and apt-get update/dist-upgrade through the command runner.
//
// # Sources files
//
// [ParseSourceFile] reads a sources file in the syntax its name calls for
// and keeps it losslessly: [SourceFile.Format] returns the input byte for
// byte, and the edits ([SourceFile.SetEnabled], [SourceFile.AddComponent],
// [SourceFile.RemoveComponent], [SourceFile.Add], [SourceFile.Remove])
// rewrite only the lines of the entries they touch. Commented-out
// "# deb ..." lines are disabled entries; "Enabled: no" stanzas too.
// [Client.Sources] reads /etc/apt/sources.list and sources.list.d like
// APT: only *.list and *.sources files with run-parts names, in byte
// order, and it says which files APT ignores and whether APT would print
// a notice about them. [Client.EditSources] runs a read-modify-write
// cycle under a lock and refuses to overwrite a file someone else changed
// meanwhile.
//
// # Repository checks
//
// [Classify] names a repository (Proxmox VE enterprise, no-subscription
// and test; Ceph Quincy, Reef and Squid; Debian main, updates, security,
// backports). [Client.Check] reports what the repository panel reports and
// more: enterprise repositories without a subscription key, a missing
// security repository, test repositories, suites that do not match the
// installed release, unsupported Ceph releases, a missing
// non-free-firmware component, duplicate entries, malformed and ignored
// files, release keys that do not match the admin guide's checksums and
// expired keys. [Client.AddStandardRepository] writes the lines the admin
// guide shows (deb822 stanzas from Debian 13 on), and
// [Client.EnableNonFreeFirmware] appends non-free-firmware to every Debian
// entry.
//
// # Versions
//
// [CompareVersions] is dpkg's ordering, and [ParseVersion] applies dpkg's
// validity rules, including those dpkg --compare-versions only warns
// about but dpkg refuses in package data (an upstream part that does not
// start with a digit, characters outside the allowed sets). Comparing
// valid versions does not allocate. A differential test checks thousands
// of pairs from the machine's package lists against dpkg itself.
//
// # Package state
//
// [Client.Upgradable] computes what "apt list --upgradable" prints and
// [Client.Versions] what "apt list -a NAME" and "apt-cache policy NAME"
// show, from the dpkg status file and the downloaded lists of the enabled
// entries, with APT's candidate selection: pin priorities (500 by
// default, 100 for the installed version and for NotAutomatic plus
// ButAutomaticUpgrades archives such as backports, 1 for NotAutomatic
// alone), APT::Default-Release from apt.conf (990), /etc/apt/preferences
// and preferences.d, no downgrade below priority 1000. The lists are streamed in parallel and only the stanzas
// of the packages asked about are kept, so memory stays a small fraction
// of the lists' uncompressed size. Not modelled: other apt.conf settings
// (hostadm finds the lists that exist instead of computing their names from
// Acquire settings), Ubuntu's phased updates, and APT's distinction of two
// stanzas with the same version string but different dependencies.
//
// [Client.Hold] and [Client.Unhold] write dpkg selections as apt-mark
// does; [Client.Update], [Client.DistUpgrade] and [Client.Install] run
// apt-get non-interactively (debconf's noninteractive frontend, existing
// configuration files kept) and report progress from APT's status lines.
// On a root other than "/", apt-get runs through chroot(8) and dpkg with
// --root.
//
// # SecureApt
//
// [VerifyChecksums] is the admin guide's sha512sum/md5sum step for a
// release key file ([ReleaseKeys] holds the published digests).
// [Client.TrustedKeyrings] lists the keys of trusted.gpg and
// trusted.gpg.d (binary and armored) with fingerprints and expiry,
// [Client.EntryKeyrings] the keyrings a Signed-By option names (files,
// fingerprints or an inline key block), and [VerifyInRelease] checks an
// InRelease file's signature against them as gpgv does for APT.
//
// # Dependencies
//
// Index files are compressed the way APT stored them: lz4 (APT's choice
// when it keeps lists compressed), gzip, xz, zstd, bzip2, lzma or not at
// all. github.com/pierrec/lz4/v4 decodes LZ4 blocks; its frame reader
// reallocates its history buffer for every block of the linked-block
// frames APT writes, so a small frame reader of this package feeds the
// library's block decoder from one window instead. github.com/ulikunitz/xz
// is the maintained pure-Go xz and lzma decoder; github.com/klauspost/compress
// provides zstd and a faster gzip than the standard library; bzip2 comes
// from the standard library. OpenPGP uses github.com/ProtonMail/go-crypto,
// the maintained successor of the frozen golang.org/x/crypto/openpgp, which
// reads the RSA and Ed25519 keys of Debian's and Proxmox's keyrings.
package apt
