/**
 * Runs every layer-2 vector in test/vectors/l2/*.json (format: l2/README.md): decode and
 * compare with the expected summary, re-encode byte for byte, run the BPF filter, run the
 * responder's decision with the file's interface, and compare our answer with the one the
 * Linux host sent when there is one.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { IpAddress } from "../../protocol/ip/index.ts";
import {
  AddressSet,
  decodeArp,
  decodeEthernet,
  decodeIcmpv6,
  decodeIpv6,
  decodeNeighborAdvertisement,
  decodeNeighborSolicitation,
  EtherType,
  encodeArp,
  encodeEthernet,
  encodeIpv6,
  encodeNeighborAdvertisement,
  encodeNeighborSolicitation,
  type L2Interface,
  MacAddress,
  type NdpOption,
  neighborFilterBytes,
  respond,
  verifyIcmpv6Checksum,
} from "../../protocol/l2/index.ts";
import { runBpf } from "../unit/l2/bpf-vm.ts";

interface Vector {
  id: string;
  rfc: string;
  source: string;
  hex: string;
  expected: {
    ethernet: Record<string, unknown>;
    arp?: Record<string, unknown>;
    ipv6?: Record<string, unknown>;
    icmpv6?: { type: number; code: number; checksumValid: boolean };
    ns?: { target: string; options?: unknown[] };
    na?: { target: string; router: boolean; solicited: boolean; override: boolean; options?: unknown[] };
    filter: "accept" | "reject";
    decision: { action: string; reason?: string; invalid?: string; kind?: string };
  };
  linux?: { answered: boolean; reply?: string; divergence?: string };
}
interface VectorFile {
  description: string;
  source: string;
  interface: { mac: string; linkLocal: string; addresses: string[] };
  vectors: Vector[];
}

const dir = join(import.meta.dirname, "l2");
const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const filter = neighborFilterBytes();

const optionSummary = (o: NdpOption) =>
  o.kind === "link-layer-address"
    ? { type: o.type, length: 1, mac: o.mac.toString() }
    : { type: o.type, length: (o.data.length + 2) / 8 };

test("l2 vectors: the runner matches at least one file", () => {
  assert.ok(files.length > 0, `no vector files in ${dir}`);
});

for (const file of files) {
  const doc = JSON.parse(readFileSync(join(dir, file), "utf8")) as VectorFile;
  const iface: L2Interface = {
    mac: MacAddress.of(doc.interface.mac),
    linkLocal: IpAddress.of(doc.interface.linkLocal),
    addresses: new AddressSet(doc.interface.addresses.map((a) => IpAddress.of(a))),
  };
  describe(`l2 vectors: ${file}`, () => {
    test("has vectors with provenance", () => {
      assert.ok(doc.vectors.length > 0);
      for (const v of doc.vectors) assert.ok(v.id && v.rfc && v.source && v.hex, v.id);
    });
    for (const v of doc.vectors) {
      test(v.id, () => {
        const frame = bytes(v.hex);
        const e = v.expected;
        const eth = decodeEthernet(frame);
        assert.ok(eth.ok, JSON.stringify(!eth.ok && eth.error));
        const f = eth.value;
        const ethSummary: Record<string, unknown> = {
          destination: f.destination.toString(),
          source: f.source.toString(),
          etherType: f.etherType,
        };
        if (f.vlan) ethSummary["vlan"] = { ...f.vlan };
        assert.deepEqual(ethSummary, e.ethernet);
        assert.equal(hex(encodeEthernet(f)), v.hex, "Ethernet re-encode");

        if (e.arp) {
          const arp = decodeArp(f.payload);
          assert.ok(arp.ok);
          const p = arp.value;
          assert.deepEqual(
            {
              operation: p.operation,
              senderMac: p.senderMac.toString(),
              senderIp: p.senderIp.toString(),
              targetMac: p.targetMac.toString(),
              targetIp: p.targetIp.toString(),
            },
            e.arp,
          );
          assert.equal(hex(encodeArp(p)), hex(f.payload.subarray(0, 28)), "ARP re-encode");
        }
        if (e.ipv6) {
          const ip = decodeIpv6(f.payload);
          assert.ok(ip.ok);
          const h = ip.value.header;
          assert.deepEqual(
            {
              source: h.source.toString(),
              destination: h.destination.toString(),
              hopLimit: h.hopLimit,
              nextHeader: h.nextHeader,
              payloadLength: ip.value.payload.length,
              trafficClass: h.trafficClass,
              flowLabel: h.flowLabel,
            },
            e.ipv6,
          );
          assert.equal(
            hex(encodeIpv6(h, ip.value.payload)),
            hex(f.payload.subarray(0, 40 + ip.value.payload.length)),
          );
          if (e.icmpv6) {
            const m = decodeIcmpv6(ip.value.payload);
            assert.ok(m.ok);
            assert.equal(m.value.type, e.icmpv6.type);
            assert.equal(m.value.code, e.icmpv6.code);
            assert.equal(
              verifyIcmpv6Checksum(ip.value.payload, h.source, h.destination),
              e.icmpv6.checksumValid,
            );
            if (e.ns?.options) {
              const ns = decodeNeighborSolicitation(m.value.body);
              assert.ok(ns.ok);
              assert.equal(ns.value.target.toString(), e.ns.target);
              assert.deepEqual(ns.value.options.map(optionSummary), e.ns.options);
              assert.equal(hex(encodeNeighborSolicitation(ns.value)), hex(m.value.body), "NS re-encode");
            }
            if (e.na?.options) {
              const na = decodeNeighborAdvertisement(m.value.body);
              assert.ok(na.ok);
              const { router, solicited, override, target } = na.value;
              assert.deepEqual(
                {
                  target: target.toString(),
                  router,
                  solicited,
                  override,
                  options: na.value.options.map(optionSummary),
                },
                e.na,
              );
              assert.equal(hex(encodeNeighborAdvertisement(na.value)), hex(m.value.body), "NA re-encode");
            }
          }
        }

        assert.equal(runBpf(filter, frame) > 0 ? "accept" : "reject", e.filter, "BPF filter");

        const d = respond(frame, iface);
        const got: Record<string, unknown> = { action: d.action };
        if (d.action === "ignore") {
          got["reason"] = d.reason;
          if (d.invalid) got["invalid"] = d.invalid;
        } else got["kind"] = d.kind;
        assert.deepEqual(got, e.decision, "decision");

        if (v.linux) {
          if (d.action === "send") {
            assert.ok(v.linux.answered || v.linux.divergence, "we answer where Linux stayed silent");
            if (v.linux.reply) compareWithLinux(d.frames[0]!, bytes(v.linux.reply), frame);
          } else {
            assert.ok(
              !v.linux.answered || v.linux.divergence,
              `Linux answered, we ${d.reason} without a reason`,
            );
          }
        }
      });
    }
  });
}

/**
 * Our answer against the Linux host's. ARP: the ARP packets are identical (the frames differ
 * only by our padding to 60 octets). NDP: same destination link address, target, S and O
 * and Target LLA option; when the NS was unicast Linux omits the option and sends O = 0
 * (net/ipv6/ndisc.c: inc_opt only for multicast NS), so only S and the target are compared.
 */
function compareWithLinux(ours: Uint8Array, linux: Uint8Array, request: Uint8Array): void {
  const o = decodeEthernet(ours);
  const l = decodeEthernet(linux);
  assert.ok(o.ok && l.ok);
  assert.equal(o.value.destination.toString(), l.value.destination.toString(), "reply Ethernet destination");
  if (o.value.etherType === EtherType.ARP) {
    assert.equal(hex(o.value.payload.subarray(0, 28)), hex(l.value.payload.subarray(0, 28)), "ARP reply");
    return;
  }
  const oi = decodeIpv6(o.value.payload);
  const li = decodeIpv6(l.value.payload);
  const req = decodeEthernet(request);
  assert.ok(oi.ok && li.ok && req.ok);
  const reqIp = decodeIpv6(req.value.payload);
  assert.ok(reqIp.ok);
  assert.equal(oi.value.header.destination.toString(), li.value.header.destination.toString());
  assert.equal(oi.value.header.hopLimit, li.value.header.hopLimit);
  const on = decodeNeighborAdvertisement(oi.value.payload.subarray(4));
  const ln = decodeNeighborAdvertisement(li.value.payload.subarray(4));
  assert.ok(on.ok && ln.ok);
  assert.equal(on.value.solicited, ln.value.solicited, "S flag");
  assert.equal(on.value.target.toString(), ln.value.target.toString());
  if (reqIp.value.header.destination.w0 >>> 24 === 0xff)
    assert.equal(
      hex(oi.value.payload.subarray(4)),
      hex(li.value.payload.subarray(4)),
      "NA body (flags, target, TLLA)",
    );
}
