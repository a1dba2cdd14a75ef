// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <linux/types.h>
#include <string.h>

#include "lib/addrfmt.h"
#include "sockscope_abi.h"

/* "N." for every octet, in 4 bytes each (NUL-padded) */
/* clang-format off */
static const char octets[4 * 256 + 1] =
	"0.\0\0" "1.\0\0" "2.\0\0" "3.\0\0" "4.\0\0" "5.\0\0" "6.\0\0" "7.\0\0"
	"8.\0\0" "9.\0\0" "10.\0" "11.\0" "12.\0" "13.\0" "14.\0" "15.\0"
	"16.\0" "17.\0" "18.\0" "19.\0" "20.\0" "21.\0" "22.\0" "23.\0"
	"24.\0" "25.\0" "26.\0" "27.\0" "28.\0" "29.\0" "30.\0" "31.\0"
	"32.\0" "33.\0" "34.\0" "35.\0" "36.\0" "37.\0" "38.\0" "39.\0"
	"40.\0" "41.\0" "42.\0" "43.\0" "44.\0" "45.\0" "46.\0" "47.\0"
	"48.\0" "49.\0" "50.\0" "51.\0" "52.\0" "53.\0" "54.\0" "55.\0"
	"56.\0" "57.\0" "58.\0" "59.\0" "60.\0" "61.\0" "62.\0" "63.\0"
	"64.\0" "65.\0" "66.\0" "67.\0" "68.\0" "69.\0" "70.\0" "71.\0"
	"72.\0" "73.\0" "74.\0" "75.\0" "76.\0" "77.\0" "78.\0" "79.\0"
	"80.\0" "81.\0" "82.\0" "83.\0" "84.\0" "85.\0" "86.\0" "87.\0"
	"88.\0" "89.\0" "90.\0" "91.\0" "92.\0" "93.\0" "94.\0" "95.\0"
	"96.\0" "97.\0" "98.\0" "99.\0" "100." "101." "102." "103."
	"104." "105." "106." "107." "108." "109." "110." "111."
	"112." "113." "114." "115." "116." "117." "118." "119."
	"120." "121." "122." "123." "124." "125." "126." "127."
	"128." "129." "130." "131." "132." "133." "134." "135."
	"136." "137." "138." "139." "140." "141." "142." "143."
	"144." "145." "146." "147." "148." "149." "150." "151."
	"152." "153." "154." "155." "156." "157." "158." "159."
	"160." "161." "162." "163." "164." "165." "166." "167."
	"168." "169." "170." "171." "172." "173." "174." "175."
	"176." "177." "178." "179." "180." "181." "182." "183."
	"184." "185." "186." "187." "188." "189." "190." "191."
	"192." "193." "194." "195." "196." "197." "198." "199."
	"200." "201." "202." "203." "204." "205." "206." "207."
	"208." "209." "210." "211." "212." "213." "214." "215."
	"216." "217." "218." "219." "220." "221." "222." "223."
	"224." "225." "226." "227." "228." "229." "230." "231."
	"232." "233." "234." "235." "236." "237." "238." "239."
	"240." "241." "242." "243." "244." "245." "246." "247."
	"248." "249." "250." "251." "252." "253." "254." "255.";
/* clang-format on */

/* Each octet is copied with its dot as 4 bytes, then cut to its length:
 * 4 bytes past the text's end may be written (within RAW_ADDR_MAX). */
static inline char *octet(char *p, unsigned int v)
{
	memcpy(p, octets + 4 * v, 4);
	return p + (v < 10 ? 2 : v < 100 ? 3 : 4);
}

static char *v4(char *p, const uint8_t *a)
{
	p = octet(p, a[0]);
	p = octet(p, a[1]);
	p = octet(p, a[2]);
	return octet(p, a[3]) - 1; /* not its dot */
}

/* "%x" */
static char *hex16(char *p, unsigned int w)
{
	static const char hex[] = "0123456789abcdef";
	int shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(w >> shift) & 15];
	return p;
}

/* glibc's inet_ntop6(), step by step: the longest run of two or more zero
 * words (the first of equal ones) becomes "::"; an address that is six zero
 * words, or five and ffff, then 32 bits, ends in IPv4 form. */
static char *v6(char *p, const uint8_t *a)
{
	unsigned int w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8; i++) {
		if (!w[i]) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
			continue;
		}
		if (cur >= 0 && (best < 0 || cur_len > best_len))
			best = cur, best_len = cur_len;
		cur = -1;
	}
	if (cur >= 0 && (best < 0 || cur_len > best_len))
		best = cur, best_len = cur_len;
	if (best >= 0 && best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return v4(p, a + 12);
		p = hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

char *raw_addr(char *p, unsigned int family, const uint8_t addr[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (family == SS_AF_INET)
		return v4(p, addr);
	if (family == SS_AF_INET6 && !memcmp(addr, mapped, sizeof(mapped)))
		return v4(p, addr + 12);
	if (family == SS_AF_INET6)
		return v6(p, addr);
	*p++ = '?';
	return p;
}
