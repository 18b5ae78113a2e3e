/*
 * sysinfo.h - what the machine has: disks with their partitions and
 * filesystems (sysdisks.c), network interfaces and their set-up
 * (netcfg.c).  For the wizard; no terminal code.
 */
#ifndef CC_SYSINFO_H
#define CC_SYSINFO_H

#include <stdint.h>

struct cc_error;

#define CC_MAX_PARTS_INFO 32

struct cc_part_info {
	char path[272];	  /* "/dev/sda1", or "disk.img#1" for a partition of a file
			   * (the file's path as given + "#N": room for a 255-character path) */
	char name[32];	  /* "sda1"; for a file: "disk.img#1" */
	uint64_t start;	  /* bytes from the start of the disk */
	uint64_t size;	  /* bytes */
	char fstype[16];  /* "ntfs", "ext4", "vfat", "swap", "" if none/unknown */
	char label[64];	  /* filesystem label, "" if none */
	int mounted;	  /* mounted, swap, or held by LVM/RAID/dm (sysfs holders) */
};

struct cc_disk_info {
	char path[256];	 /* "/dev/sda", or the image file's path */
	char name[32];	 /* "sda", "nvme0n1"; for a file: its base name */
	uint64_t size;	 /* bytes */
	char model[64];	 /* "ATA Samsung SSD 860", "" if unknown; "image file" for files */
	int is_file;
	int removable;	   /* the kernel's removable flag, or on USB */
	int mounted;	   /* the disk or one of its partitions is mounted */
	int live_medium;   /* holds the running live system (never a restore target) */
	char table[8];	   /* "dos", "gpt", "" (none, or unreadable) */
	unsigned nparts;
	struct cc_part_info parts[CC_MAX_PARTS_INFO];
};

/* Every disk of the machine (from /sys/block): not loop, ram, zram, sr,
 * md members or device-mapper; sorted by name.  Partitions and their
 * filesystems from sfdisk/blkid, mounted from /proc/self/mounts, the live
 * medium as the disk under /run/live/medium (or $CLONECAST_LIVE_MEDIUM). */
int cc_list_disks(struct cc_disk_info **out, unsigned *n, struct cc_error *err);
/* The same description for a whole-disk image file (the demo's disks). */
int cc_describe_disk_file(const char *path, struct cc_disk_info *out, struct cc_error *err);

struct cc_netif {
	char name[32];	/* "eth0" */
	char mac[24];	/* "52:54:00:12:34:56" */
	int carrier;	/* 1 link up, 0 no cable, -1 unknown (interface down) */
	char addr[64];	/* "10.0.2.15/24", "" if none */
};

struct cc_net_lease {
	char addr[64];	      /* "10.0.2.15/24" */
	char gateway[48];     /* "" if none */
	char dns[48];	      /* first DNS server, "" if none */
	char server[48];      /* the DHCP server's address */
	char next_server[48]; /* siaddr / option 66 (TFTP/PXE server), "" if none */
};

/* Ethernet-like interfaces (not lo), sorted by name. */
int cc_net_list(struct cc_netif **out, unsigned *n, struct cc_error *err);
/* Bring the interface up and ask DHCP (busybox udhcpc, else dhclient) for
 * at most timeout_s seconds; sets the address, default route and
 * /etc/resolv.conf (or $CLONECAST_RESOLV_CONF).  -CC_E_TIMEOUT with "no
 * answer from a DHCP server" or -CC_E_CONNECT with "no cable" (carrier 0
 * after 5 s) say what to check. */
int cc_net_dhcp(const char *ifname, unsigned timeout_s, struct cc_net_lease *lease,
		struct cc_error *err);
/* Static set-up: addr as "10.0.0.5/24", gateway and dns may be "". */
int cc_net_static(const char *ifname, const char *addr, const char *gateway, const char *dns,
		  struct cc_error *err);

/* The demo (clonecast --demo): in dir, a 256 MiB disk image "demo-disk.img"
 * with a GPT holding an NTFS (label DEMO-WIN) and an ext4 (label
 * demo-linux) partition with some files, a blank "demo-target.img" of the
 * same size, and an empty repository directory "repo".  Existing files
 * are reused when they look right.  Needs mkntfs, ntfscp, mkfs.ext4,
 * sfdisk; no mounts, no loop devices. */
int cc_demo_prepare(const char *dir, struct cc_error *err);

#endif
