// Command codec-ref is the reference side of signalbox's codec benchmark (bench/codec.ts):
// it decodes and encodes the same BGP UPDATE streams with GoBGP's packet library and prints
// prefixes per second for each case as one JSON object on stdout.
//
// See README.md in this folder for what is timed and how to run it on its own.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

const (
	headerLength     = 19   // RFC 4271 §4.1
	maxMessageLength = 4096 // no Extended Message capability, as in bench/codec.ts

	nextHop4 = "10.250.0.1"
	nextHop6 = "2001:db8:ffff::1"
)

// Row names: exactly those bench/codec.ts prints.
const (
	rowEncode32   = "encode /32 announcements"
	rowDecode32   = "decode /32 announcements"
	rowEncode32W  = "encode /32 withdrawals"
	rowDecode32W  = "decode /32 withdrawals"
	rowEncode128  = "encode /128 announcements"
	rowDecode128  = "decode /128 announcements"
	rowEncode128W = "encode /128 withdrawals"
)

var (
	dataDir = flag.String("data", "", "folder holding ipv4.bgp and ipv6.bgp (written by bench/codec.ts); without it, GoBGP encodes the streams to decode")
	rounds  = flag.Int("rounds", 5, "timed rounds per case, after one warm-up round; the median is reported")
	n       = flag.Int("n", 1_000_000, "prefixes per stream (must match the streams)")
	verbose = flag.Bool("v", false, "describe the run on stderr")
)

func main() {
	// One core, as the TypeScript side has: no parallel GC marking on a second core either.
	runtime.GOMAXPROCS(1)
	flag.Parse()
	if flag.NArg() > 0 || *rounds < 1 || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "codec-ref:", err)
		os.Exit(1)
	}
}

func run() error {
	// Prefix objects are built before any timing, as bench/codec.ts builds its Prefix values
	// before timing: the encode rows time message construction and serialization only.
	p4, p6 := prefixes4(*n), prefixes6(*n)

	// Attributes: ORIGIN IGP, AS_PATH [65001] (4-octet AS), COMMUNITIES 65000:100, and
	// NEXT_HOP or MP_REACH_NLRI, in the order signalbox writes them.
	common := func() []bgp.PathAttributeInterface {
		return []bgp.PathAttributeInterface{
			bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP),
			bgp.NewPathAttributeAsPath([]bgp.AsPathParamInterface{
				bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, []uint32{65001}),
			}),
			bgp.NewPathAttributeCommunities([]uint32{65000<<16 | 100}),
		}
	}

	// Grouping: as many prefixes per UPDATE as fit in 4096 octets, the same packing rule as
	// signalbox. Each case's capacity is measured from a one-prefix message serialized by
	// GoBGP (fixed part + one prefix), so no attribute length is hard-coded here.
	enc4 := func(ps []*bgp.IPAddrPrefix) *bgp.BGPMessage {
		attrs := append(common(), bgp.NewPathAttributeNextHop(nextHop4))
		return bgp.NewBGPUpdateMessage(nil, attrs, ps)
	}
	enc6 := func(ps []bgp.AddrPrefixInterface) *bgp.BGPMessage {
		mp := bgp.NewPathAttributeMpReachNLRI(nextHop6, ps)
		// signalbox always sets Extended Length on MP_REACH_NLRI (GoBGP would only above 255 octets).
		mp.Flags |= bgp.BGP_ATTR_FLAG_EXTENDED_LENGTH
		return bgp.NewBGPUpdateMessage(nil, append([]bgp.PathAttributeInterface{mp}, common()...), nil)
	}
	wdr4 := func(ps []*bgp.IPAddrPrefix) *bgp.BGPMessage {
		return bgp.NewBGPUpdateMessage(ps, nil, nil)
	}
	wdr6 := func(ps []bgp.AddrPrefixInterface) *bgp.BGPMessage {
		mp := bgp.NewPathAttributeMpUnreachNLRI(ps)
		mp.Flags |= bgp.BGP_ATTR_FLAG_EXTENDED_LENGTH
		return bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{mp}, nil)
	}

	per4, err := capacity(p4[:1], enc4)
	if err != nil {
		return err
	}
	per6, err := capacity(p6[:1], enc6)
	if err != nil {
		return err
	}
	perW4, err := capacity(p4[:1], wdr4)
	if err != nil {
		return err
	}
	perW6, err := capacity(p6[:1], wdr6)
	if err != nil {
		return err
	}

	var notes []string
	var stream4, stream6 []byte
	if *dataDir != "" {
		if stream4, err = os.ReadFile(filepath.Join(*dataDir, "ipv4.bgp")); err != nil {
			return err
		}
		if stream6, err = os.ReadFile(filepath.Join(*dataDir, "ipv6.bgp")); err != nil {
			return err
		}
	} else {
		// Run alone: decode streams that GoBGP encodes here (octet for octet what
		// bench/codec.ts writes, as the encode checks below show when it runs this).
		notes = append(notes, "no -data: decoding streams encoded by GoBGP")
		for _, s := range []struct {
			dst *[]byte
			enc func() ([][]byte, error)
		}{
			{&stream4, func() ([][]byte, error) { return pack(p4, per4, enc4) }},
			{&stream6, func() ([][]byte, error) { return pack(p6, per6, enc6) }},
		} {
			msgs, err := s.enc()
			if err != nil {
				return err
			}
			*s.dst = bytes.Join(msgs, nil)
		}
	}

	result := map[string]float64{}

	// IPv4: announcements in the NLRI field, withdrawals in Withdrawn Routes.
	var out4 [][]byte
	if result[rowEncode32], err = rate(func() (int, error) {
		var err error
		out4, err = pack(p4, per4, enc4)
		return len(p4), err
	}); err != nil {
		return fmt.Errorf("%s: %w", rowEncode32, err)
	}
	if err := check(rowEncode32, out4, stream4, &notes); err != nil {
		return err
	}
	if result[rowDecode32], err = decodeRate(stream4); err != nil {
		return fmt.Errorf("%s: %w", rowDecode32, err)
	}
	var outW4 [][]byte
	if result[rowEncode32W], err = rate(func() (int, error) {
		var err error
		outW4, err = pack(p4, perW4, wdr4)
		return len(p4), err
	}); err != nil {
		return fmt.Errorf("%s: %w", rowEncode32W, err)
	}
	notes = append(notes, fmt.Sprintf("%s: %d UPDATEs", rowEncode32W, len(outW4)))
	// No withdrawal stream comes from bench/codec.ts: decode the one GoBGP just encoded.
	if result[rowDecode32W], err = decodeRate(bytes.Join(outW4, nil)); err != nil {
		return fmt.Errorf("%s: %w", rowDecode32W, err)
	}

	// IPv6: announcements and withdrawals in MP_REACH_NLRI / MP_UNREACH_NLRI.
	var out6 [][]byte
	if result[rowEncode128], err = rate(func() (int, error) {
		var err error
		out6, err = pack(p6, per6, enc6)
		return len(p6), err
	}); err != nil {
		return fmt.Errorf("%s: %w", rowEncode128, err)
	}
	if err := check(rowEncode128, out6, stream6, &notes); err != nil {
		return err
	}
	if result[rowDecode128], err = decodeRate(stream6); err != nil {
		return fmt.Errorf("%s: %w", rowDecode128, err)
	}
	var outW6 [][]byte
	if result[rowEncode128W], err = rate(func() (int, error) {
		var err error
		outW6, err = pack(p6, perW6, wdr6)
		return len(p6), err
	}); err != nil {
		return fmt.Errorf("%s: %w", rowEncode128W, err)
	}
	notes = append(notes, fmt.Sprintf("%s: %d UPDATEs", rowEncode128W, len(outW6)))
	if err := checkCount(outW6); err != nil {
		return fmt.Errorf("%s: %w", rowEncode128W, err)
	}

	if *verbose {
		fmt.Fprintf(os.Stderr, "codec-ref: %s, %s, GOMAXPROCS=%d, %d prefixes, median of %d rounds\n",
			gobgpVersion(), runtime.Version(), runtime.GOMAXPROCS(0), *n, *rounds)
		for _, s := range notes {
			fmt.Fprintln(os.Stderr, "codec-ref:", s)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(result)
}

// prefixes4 returns n /32 prefixes from 100.64.0.0 upward.
func prefixes4(n int) []*bgp.IPAddrPrefix {
	out := make([]*bgp.IPAddrPrefix, n)
	var b [4]byte
	for i := range out {
		binary.BigEndian.PutUint32(b[:], 0x64400000+uint32(i))
		out[i] = bgp.NewIPAddrPrefix(32, netip.AddrFrom4(b).String())
	}
	return out
}

// prefixes6 returns n /128 prefixes from 2001:db8:: upward (the index in the low 32 bits).
func prefixes6(n int) []bgp.AddrPrefixInterface {
	out := make([]bgp.AddrPrefixInterface, n)
	var b [16]byte
	binary.BigEndian.PutUint32(b[0:], 0x20010db8)
	for i := range out {
		binary.BigEndian.PutUint32(b[12:], uint32(i))
		out[i] = bgp.NewIPv6AddrPrefix(128, netip.AddrFrom16(b).String())
	}
	return out
}

// capacity is how many prefixes like one[0] fit in one UPDATE built by build.
func capacity[P bgp.AddrPrefixInterface](one []P, build func([]P) *bgp.BGPMessage) (int, error) {
	b, err := build(one).Serialize()
	if err != nil {
		return 0, err
	}
	size := one[0].Len()
	per := (maxMessageLength-len(b))/size + 1
	if per < 1 {
		return 0, fmt.Errorf("no room for NLRI")
	}
	return per, nil
}

// pack builds one GoBGP UPDATE per group of per prefixes and serializes it (the timed work
// of an encode row).
func pack[P any](ps []P, per int, build func([]P) *bgp.BGPMessage) ([][]byte, error) {
	out := make([][]byte, 0, (len(ps)+per-1)/per)
	for start := 0; start < len(ps); start += per {
		b, err := build(ps[start:min(start+per, len(ps))]).Serialize()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// decode splits a stream of whole messages at their header lengths and parses each with
// bgp.ParseBGPMessage (header + body), counting the prefixes carried: NLRI, Withdrawn
// Routes, MP_REACH_NLRI and MP_UNREACH_NLRI.
func decode(stream []byte) (int, error) {
	count := 0
	for at := 0; at < len(stream); {
		if len(stream)-at < headerLength {
			return 0, fmt.Errorf("truncated header at octet %d", at)
		}
		l := int(binary.BigEndian.Uint16(stream[at+16:]))
		if l < headerLength || at+l > len(stream) {
			return 0, fmt.Errorf("bad length %d at octet %d", l, at)
		}
		msg, err := bgp.ParseBGPMessage(stream[at : at+l])
		if err != nil {
			return 0, err
		}
		u, ok := msg.Body.(*bgp.BGPUpdate)
		if !ok {
			return 0, fmt.Errorf("message at octet %d is not an UPDATE", at)
		}
		count += len(u.NLRI) + len(u.WithdrawnRoutes)
		for _, a := range u.PathAttributes {
			switch a := a.(type) {
			case *bgp.PathAttributeMpReachNLRI:
				count += len(a.Value)
			case *bgp.PathAttributeMpUnreachNLRI:
				count += len(a.Value)
			}
		}
		at += l
	}
	return count, nil
}

func decodeRate(stream []byte) (float64, error) {
	return rate(func() (int, error) { return decode(stream) })
}

// rate runs fn once to warm up, then *rounds times, and returns prefixes per second over the
// median round. fn returns how many prefixes it handled, which must be *n. Garbage left by
// the previous case is collected first (as testing.B does), not charged to this one.
func rate(fn func() (int, error)) (float64, error) {
	runtime.GC()
	samples := make([]time.Duration, *rounds)
	for r := -1; r < len(samples); r++ {
		t := time.Now()
		c, err := fn()
		d := time.Since(t)
		if err != nil {
			return 0, err
		}
		if c != *n {
			return 0, fmt.Errorf("handled %d prefixes of %d", c, *n)
		}
		if r >= 0 {
			samples[r] = d
		}
	}
	slices.Sort(samples)
	return float64(*n) / samples[len(samples)/2].Seconds(), nil
}

// check compares GoBGP's encoding with signalbox's stream for the same routes: equal octets
// mean both sides did the same work. A difference is reported, not fatal.
func check(row string, msgs [][]byte, theirs []byte, notes *[]string) error {
	if err := checkCount(msgs); err != nil {
		return fmt.Errorf("%s: %w", row, err)
	}
	ours := bytes.Join(msgs, nil)
	if bytes.Equal(ours, theirs) {
		*notes = append(*notes, fmt.Sprintf("%s: %d UPDATEs, octet for octet the stream decoded", row, len(msgs)))
		return nil
	}
	at := 0
	for at < len(ours) && at < len(theirs) && ours[at] == theirs[at] {
		at++
	}
	fmt.Fprintf(os.Stderr, "codec-ref: warning: %s: GoBGP's %d octets differ from the %d of bench/codec.ts from octet %d\n",
		row, len(ours), len(theirs), at)
	return nil
}

// checkCount decodes an encoded stream once and checks it carries all the prefixes.
func checkCount(msgs [][]byte) error {
	c, err := decode(bytes.Join(msgs, nil))
	if err != nil {
		return err
	}
	if c != *n {
		return fmt.Errorf("encoded %d prefixes of %d", c, *n)
	}
	return nil
}

func gobgpVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/osrg/gobgp/v3" {
				return "GoBGP " + d.Version
			}
		}
	}
	return "GoBGP (version unknown)"
}
