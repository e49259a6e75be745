/*
 * fuzz_lockdown.c -- lockdownd's values as the iOS identity step would
 * receive them (daemon/usbwatch/ios_identity.h): the input is the raw
 * bytes of a plist, binary if it starts "bplist00", XML otherwise, whose
 * root is a dictionary of UniqueDeviceID, ProductType, ProductVersion,
 * DeviceClass and DeviceName; ios_identity_from_bytes parses it with
 * Debian's libplist 2.2 (not instrumented: its own bugs show up only
 * where ASan intercepts, such as memcpy) and validates it.
 *
 * An identity it accepts must pass ios_identity_check (what the parent
 * process asks of the child's result), match its own UDID, display
 * escaped, and give JSON that canon_encode takes: the event an iPhone
 * makes must always be recordable.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/canon.h"
#include "daemon/usb_identity.h"
#include "daemon/usbwatch/ios_identity.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The display form of t holds no control character. */
static void
fuzz_check_display(const struct usb_text *t)
{
	char disp[USB_TEXT_DISPLAY_MAX];
	size_t i;

	(void)usb_text_display(t, disp, sizeof(disp));
	for (i = 0; disp[i] != '\0'; i++)
		if ((unsigned char)disp[i] < 0x20 || disp[i] == 0x7f) {
			fprintf(stderr, "a control byte reached the display "
			    "form\n");
			abort();
		}
}

static void
fuzz_check_identity(const struct ios_identity *id)
{
	char err[256], *out = NULL;
	json_t *j = NULL;
	size_t len;

	if (ios_identity_check(id, err, sizeof(err)) != 0) {
		fprintf(stderr, "an accepted identity fails the check: %s\n",
		    err);
		abort();
	}
	if (!ios_udid_match(id->udid.bytes, id->udid.bytes))
		abort();
	fuzz_check_display(&id->udid);
	fuzz_check_display(&id->product_type);
	fuzz_check_display(&id->product_version);
	fuzz_check_display(&id->device_class);
	fuzz_check_display(&id->device_name);
	/* Only CUSTODY_ERR_NOMEM is allowed, and malloc does not fail here. */
	if (ios_identity_to_json(id, &j) != 0) {
		fprintf(stderr, "ios_identity_to_json refused an identity\n");
		abort();
	}
	if (canon_encode(j, &out, &len) != 0) {
		fprintf(stderr, "an iPhone's identity is not encodable\n");
		abort();
	}
	if (canon_check(out, len, NULL, NULL, 0) != 0) {
		fprintf(stderr, "canon_encode output fails canon_check\n");
		abort();
	}
	free(out);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ios_identity *id;
	char err[256];

	if ((id = malloc(sizeof(*id))) == NULL)
		return 0;
	if (ios_identity_from_bytes(data, size, id, err, sizeof(err)) == 0)
		fuzz_check_identity(id);
	else if (memchr(err, '\n', strnlen(err, sizeof(err))) != NULL) {
		fprintf(stderr, "a refusal is more than one line\n");
		abort();
	}
	free(id);
	return 0;
}
