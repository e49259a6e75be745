/*
 * usb_table.c -- the data behind daemon/usb_classify.c: phone vendors and
 * the interface signatures of phone data functions.
 *
 * To add a vendor: one line in vendors[] (kept sorted by id; the unit test
 * checks the order, that no id repeats, and that every entry has a name),
 * with a comment saying where the id comes from.  Sources, by short name:
 *
 *   usb.ids     The USB ID repository, linux-usb.org (Debian package
 *               usb.ids, version 2025.07.26), /usr/share/misc/usb.ids.
 *   AOSP adb    The vendor list that adb matched against before it matched
 *               by interface: AOSP system/core adb/usb_vendors.c
 *               (android-4.4_r1), the source of the "USB Vendor IDs" table
 *               that Android's "Run apps on a hardware device" page
 *               carried for OEM USB drivers.
 *   udev-android  The android-udev-rules project's 51-android.rules (also
 *               shipped by Debian as android-sdk-platform-tools-common).
 *   libmtp      libmtp's device list, src/music-players.h.
 *
 * Flags (see usb_classify.h): USB_VF_TETHER is given only to vendors
 * whose USB network functions are, in practice, phone tethering.  Lenovo
 * (docks with CDC ECM Ethernet), Huawei, ZTE and TCL (mobile broadband
 * sticks and pocket routers with RNDIS/ECM), ASUS, the SoC makers
 * Qualcomm and MediaTek, Sharp and Kyocera (printers) do not get it: from
 * them only MTP, ADB, fastboot or PTP makes a phone.
 */
#include <stddef.h>
#include <stdint.h>

#include "daemon/usb_classify.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define PHONE	USB_KIND_PHONE
#define TABLET	USB_KIND_TABLET
#define NOT	USB_KIND_NOT_PHONE

/*
 * Apple product ids, usb.ids (vendor 05ac), names as listed there.  An
 * iPod touch is kept as a phone: it holds the same kinds of content and
 * speaks the same protocols.  Apple TV and the Mac's T2 "iBridge" also
 * speak usbmux or NCM but are not phones.
 */
static const struct usb_product apple_products[] = {
	{ 0x1290, PHONE,  "iPhone" },
	{ 0x1291, PHONE,  "iPod Touch 1.Gen" },
	{ 0x1292, PHONE,  "iPhone 3G" },
	{ 0x1293, PHONE,  "iPod Touch 2.Gen" },
	{ 0x1294, PHONE,  "iPhone 3GS" },
	{ 0x1296, PHONE,  "iPod Touch 3.Gen (8GB)" },
	{ 0x1297, PHONE,  "iPhone 4" },
	{ 0x1299, PHONE,  "iPod Touch 3.Gen" },
	{ 0x129a, TABLET, "iPad" },
	{ 0x129c, PHONE,  "iPhone 4(CDMA)" },
	{ 0x129d, PHONE,  "iPhone" },
	{ 0x129e, PHONE,  "iPod Touch 4.Gen" },
	{ 0x129f, TABLET, "iPad 2" },
	{ 0x12a0, PHONE,  "iPhone 4S" },
	{ 0x12a1, PHONE,  "iPhone" },
	{ 0x12a2, TABLET, "iPad 2 (3G; 64GB)" },
	{ 0x12a3, TABLET, "iPad 2 (CDMA)" },
	{ 0x12a4, TABLET, "iPad 3 (wifi)" },
	{ 0x12a5, TABLET, "iPad 3 (CDMA)" },
	{ 0x12a6, TABLET, "iPad 3 (3G, 16 GB)" },
	{ 0x12a7, NOT,    "TV Device" },
	{ 0x12a8, PHONE,  "iPhone 5/5C/5S/6/SE/7/8/X/XR" },
	{ 0x12a9, TABLET, "iPad 2" },
	{ 0x12aa, PHONE,  "iPod Touch 5.Gen [A1421]" },
	{ 0x12ab, TABLET, "iPad" },
	{ 0x12ac, PHONE,  "iPhone" },
	{ 0x8600, NOT,    "iBridge" },
};

#define PRODUCTS(a)	(a), NELEM(a)
#define NONE		NULL, 0

static const struct usb_vendor vendors[] = {
	/* usb.ids: 0421 Nokia Mobile Phones; udev-android "Nokia X". */
	{ 0x0421, "Nokia", USB_VF_TETHER, NONE },
	/* usb.ids: 0482 Kyocera Corp.; AOSP adb (VENDOR_ID_KYOCERA). */
	{ 0x0482, "Kyocera", 0, NONE },
	/* usb.ids: 04dd Sharp Corp.; AOSP adb (VENDOR_ID_SHARP). */
	{ 0x04dd, "Sharp", 0, NONE },
	/*
	 * usb.ids: 04e8 Samsung Electronics Co., Ltd (6860 "Galaxy series,
	 * misc. (MTP mode)", 6863 "(tethering mode)"); AOSP adb
	 * (VENDOR_ID_SAMSUNG).  Its older phones present MTP as ff/ff/00
	 * without an "MTP" interface string (libmtp's Samsung entries).
	 */
	{ 0x04e8, "Samsung", USB_VF_TETHER | USB_VF_SAMSUNG, NONE },
	/* usb.ids: 05ac Apple, Inc.; product ids above. */
	{ 0x05ac, "Apple", USB_VF_APPLE, PRODUCTS(apple_products) },
	/* usb.ids: 05c6 Qualcomm, Inc.; AOSP adb; libmtp (early OnePlus). */
	{ 0x05c6, "Qualcomm", 0, NONE },
	/* usb.ids: 0b05 ASUSTek Computer, Inc.; AOSP adb (VENDOR_ID_ASUS). */
	{ 0x0b05, "ASUS", 0, NONE },
	/* usb.ids: 0bb4 HTC (High Tech Computer Corp.); AOSP adb. */
	{ 0x0bb4, "HTC", USB_VF_TETHER, NONE },
	/* usb.ids: 0e8d MediaTek Inc.; udev-android "MTK"; libmtp. */
	{ 0x0e8d, "MediaTek", 0, NONE },
	/* usb.ids: 0fca Research In Motion, Ltd.; udev-android (DTEK60). */
	{ 0x0fca, "BlackBerry", USB_VF_TETHER, NONE },
	/*
	 * usb.ids: 0fce Sony Ericsson Mobile Communications AB; AOSP adb
	 * (VENDOR_ID_SONY_ERICSSON); Sony's Xperia phones kept the id.
	 */
	{ 0x0fce, "Sony", USB_VF_TETHER, NONE },
	/* usb.ids: 1004 LG Electronics, Inc.; AOSP adb (VENDOR_ID_LGE). */
	{ 0x1004, "LG", USB_VF_TETHER, NONE },
	/* usb.ids: 12d1 Huawei Technologies Co., Ltd.; AOSP adb. */
	{ 0x12d1, "Huawei", 0, NONE },
	/* usb.ids: 17ef Lenovo; AOSP adb (VENDOR_ID_LENOVO). */
	{ 0x17ef, "Lenovo", 0, NONE },
	/* usb.ids: 18d1 Google Inc. (4ee1 "Nexus/Pixel Device (MTP)"). */
	{ 0x18d1, "Google", USB_VF_TETHER, NONE },
	/*
	 * usb.ids: 1949 Lab126, Inc.; AOSP adb (VENDOR_ID_LAB126); libmtp
	 * "Kindle Fire".  Amazon's phone-like devices are Fire tablets.
	 */
	{ 0x1949, "Amazon", USB_VF_TABLETS, NONE },
	/* usb.ids: 19d2 ZTE WCDMA Technologies MSM; AOSP adb (VENDOR_ID_ZTE). */
	{ 0x19d2, "ZTE", 0, NONE },
	/* usb.ids: 1bbb T & A Mobile Phones (Alcatel, TCL); AOSP adb. */
	{ 0x1bbb, "TCL (Alcatel)", 0, NONE },
	/* usb.ids: 22b8 Motorola PCS; AOSP adb (VENDOR_ID_MOTOROLA). */
	{ 0x22b8, "Motorola", USB_VF_TETHER, NONE },
	/* usb.ids: 22d9 OPPO Electronics Corp.; udev-android "Oppo" (and
	 * "Realme 8" under the same id). */
	{ 0x22d9, "OPPO/Realme", USB_VF_TETHER, NONE },
	/* usb.ids: 2717 Xiaomi Inc.; udev-android "XiaoMi"; libmtp. */
	{ 0x2717, "Xiaomi", USB_VF_TETHER, NONE },
	/* udev-android "Wileyfox" (not in usb.ids). */
	{ 0x2970, "Wileyfox", USB_VF_TETHER, NONE },
	/* usb.ids: 2a45 Meizu Corp.; udev-android "MX6". */
	{ 0x2a45, "Meizu", USB_VF_TETHER, NONE },
	/* usb.ids: 2a70 OnePlus Technology (Shenzhen) Co., Ltd. */
	{ 0x2a70, "OnePlus", USB_VF_TETHER, NONE },
	/* usb.ids: 2ae5 Fairphone B.V.; udev-android "Fairphone 2". */
	{ 0x2ae5, "Fairphone", USB_VF_TETHER, NONE },
	/* udev-android "Vivo" (not in usb.ids). */
	{ 0x2d95, "vivo", USB_VF_TETHER, NONE },
	/* usb.ids: 2e04 HMD Global; libmtp "Nokia 6" (HMD-made Nokias). */
	{ 0x2e04, "HMD (Nokia)", USB_VF_TETHER, NONE },
	/* libmtp "Honor" X8/X9 5G, X6a (not in usb.ids; Honor phones made
	 * before 2021 carry Huawei's 12d1). */
	{ 0x339b, "Honor", USB_VF_TETHER, NONE },
};

/*
 * Phone data functions in the order they are tried: the first signature
 * any interface matches names the reason.  File access (MTP, usbmux)
 * comes before debugging (ADB, fastboot), which comes before the weaker
 * signs (PTP, tethering).  Sources:
 *
 *   MTP       The MTP specification puts MTP on the still-image class
 *             06/01/01 and names the interface "MTP"; Android's MTP
 *             function (drivers/usb/gadget/function/f_mtp.c in Android's
 *             kernels, later MtpServer over FunctionFS) uses the string
 *             "MTP" on 06/01/01 or, in older kernels, on vendor class
 *             ff/ff/00, which Samsung's phones send without the string.
 *   ADB       AOSP adb: ADB_CLASS 0xff, ADB_SUBCLASS 0x42, ADB_PROTOCOL 1;
 *   fastboot  the same class and subclass, protocol 3 (AOSP fastboot).
 *   usbmux    libimobiledevice usbmuxd src/usb.h: interface class 255,
 *             subclass 254, protocol 2.
 *   ipheth    Linux drivers/net/usb/ipheth.c: class 255, subclass 253,
 *             protocol 1 (iPhone tethering).
 *   RNDIS     Linux drivers/net/usb/rndis_host.c: e0/01/03 (wireless
 *             controller, RNDIS), ef/04/01 (misc, RNDIS over Ethernet),
 *             02/02/ff (CDC ACM with Microsoft's vendor protocol).
 *   NCM, ECM  Linux drivers/net/usb/cdc_ncm.c (02/0d/00) and cdc_ether.c
 *             (02/06/00).
 *   PTP       USB still image class 06/01/01 (PIMA 15740), without the
 *             MTP string: a phone's "transfer photos" mode, or a camera.
 */
static const struct usb_signature signatures[] = {
	{ "MTP",		0x06, 0x01, 0x01,
	    USB_SIG_ANY_VENDOR | USB_SIG_NAME_MTP, 0 },
	{ "MTP",		0xff, 0xff, 0x00,
	    USB_SIG_ANY_VENDOR | USB_SIG_NAME_MTP, 0 },
	{ "MTP (Samsung)",	0xff, 0xff, 0x00, USB_SIG_NEEDS_VF,
	    USB_VF_SAMSUNG },
	{ "usbmux",		0xff, 0xfe, 0x02, USB_SIG_NEEDS_VF,
	    USB_VF_APPLE },
	{ "ADB",		0xff, 0x42, 0x01, USB_SIG_ANY_VENDOR, 0 },
	{ "fastboot",		0xff, 0x42, 0x03, USB_SIG_ANY_VENDOR, 0 },
	{ "PTP",		0x06, 0x01, 0x01, USB_SIG_PHONE_VENDOR, 0 },
	{ "Apple tethering",	0xff, 0xfd, 0x01, USB_SIG_NEEDS_VF,
	    USB_VF_APPLE },
	{ "RNDIS",		0xe0, 0x01, 0x03, USB_SIG_NEEDS_VF,
	    USB_VF_TETHER },
	{ "RNDIS",		0xef, 0x04, 0x01, USB_SIG_NEEDS_VF,
	    USB_VF_TETHER },
	{ "RNDIS",		0x02, 0x02, 0xff, USB_SIG_NEEDS_VF,
	    USB_VF_TETHER },
	{ "CDC NCM",		0x02, 0x0d, 0x00, USB_SIG_NEEDS_VF,
	    USB_VF_TETHER },
	{ "CDC ECM",		0x02, 0x06, 0x00, USB_SIG_NEEDS_VF,
	    USB_VF_TETHER },
};

const struct usb_vendor *
usb_table_vendors(size_t *n)
{
	*n = NELEM(vendors);
	return vendors;
}

const struct usb_signature *
usb_table_signatures(size_t *n)
{
	*n = NELEM(signatures);
	return signatures;
}

/* Binary search: vendors[] is sorted by id (the unit test checks it). */
const struct usb_vendor *
usb_table_find_vendor(uint16_t vendor_id)
{
	size_t lo = 0, hi = NELEM(vendors), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (vendors[mid].vendor_id == vendor_id)
			return &vendors[mid];
		if (vendors[mid].vendor_id < vendor_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
