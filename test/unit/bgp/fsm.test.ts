import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  collisionWinner,
  type Event,
  type EventType,
  type Fsm,
  type FsmAction,
  type FsmConfig,
  idleHoldFor,
  newFsm,
  type OpenMessage,
  type State,
  States,
  step,
} from "../../../protocol/bgp/index.ts";
import { IpAddress } from "../../../protocol/ip/index.ts";

const ourOpen: OpenMessage = {
  type: "OPEN",
  version: 4,
  myAs: 65001,
  holdTime: 9,
  bgpId: IpAddress.of("10.0.0.1"),
  parameters: [
    [
      { code: 1, afi: 1, safi: 1 },
      { code: 65, asn: 65001 },
    ],
  ],
};
const peerOpen: OpenMessage = {
  ...ourOpen,
  myAs: 65000,
  holdTime: 30,
  bgpId: IpAddress.of("10.0.0.2"),
  parameters: [[{ code: 65, asn: 65000 }]],
};

const config: FsmConfig = {
  open: ourOpen,
  expect: { localAs: 65001, peerAs: 65000, localBgpId: IpAddress.of("10.0.0.1") },
  passive: false,
  connectRetryTime: 5,
  openHoldTime: 240,
  idleHoldTime: 1,
  maxIdleHoldTime: 120,
  stableTime: 60,
  autoRestart: true,
};

function run(fsm: Fsm, events: Event[]): { fsm: Fsm; actions: FsmAction[] } {
  const actions: FsmAction[] = [];
  for (const e of events) {
    const s = step(fsm, e);
    fsm = s.fsm;
    actions.push(...s.actions);
  }
  return { fsm, actions };
}

const notif = { type: "NOTIFICATION", code: 6, subcode: 2, data: new Uint8Array(0) } as const;
const toEstablished: Event[] = [
  { type: "ManualStart" },
  { type: "Tcp_CR_Acked" },
  { type: "BGPOpen", open: peerOpen },
  { type: "KeepAliveMsg" },
];

/** One sample of every event type. */
const samples: Record<EventType, Event> = {
  ManualStart: { type: "ManualStart" },
  ManualStop: { type: "ManualStop" },
  AutomaticStart: { type: "AutomaticStart" },
  AutomaticStop: { type: "AutomaticStop" },
  ConnectRetryTimer_Expires: { type: "ConnectRetryTimer_Expires" },
  HoldTimer_Expires: { type: "HoldTimer_Expires" },
  KeepaliveTimer_Expires: { type: "KeepaliveTimer_Expires" },
  IdleHoldTimer_Expires: { type: "IdleHoldTimer_Expires" },
  StableTimer_Expires: { type: "StableTimer_Expires" },
  Tcp_CR_Acked: { type: "Tcp_CR_Acked" },
  TcpConnectionConfirmed: { type: "TcpConnectionConfirmed" },
  TcpConnectionFails: { type: "TcpConnectionFails" },
  BGPOpen: { type: "BGPOpen", open: peerOpen },
  BGPHeaderErr: {
    type: "BGPHeaderErr",
    error: { code: 1, subcode: 1, data: new Uint8Array(0), reason: "x" },
  },
  BGPOpenMsgErr: {
    type: "BGPOpenMsgErr",
    error: { code: 2, subcode: 2, data: new Uint8Array(0), reason: "x" },
  },
  OpenCollisionDump: { type: "OpenCollisionDump" },
  NotifMsgVerErr: { type: "NotifMsgVerErr", notification: { ...notif, code: 2, subcode: 1 } },
  NotifMsg: { type: "NotifMsg", notification: notif },
  KeepAliveMsg: { type: "KeepAliveMsg" },
  UpdateMsg: { type: "UpdateMsg", update: { type: "UPDATE", withdrawn: [], attributes: [], nlri: [] } },
  UpdateMsgErr: {
    type: "UpdateMsgErr",
    error: { code: 3, subcode: 1, data: new Uint8Array(0), reason: "x" },
  },
  RouteRefreshMsg: {
    type: "RouteRefreshMsg",
    request: { type: "ROUTE-REFRESH", afi: 1, subtype: 0, safi: 1 },
  },
  UpdateSent: { type: "UpdateSent" },
};

const reach: Record<State, Event[]> = {
  Idle: [],
  Connect: [{ type: "ManualStart" }],
  Active: [{ type: "ManualStart" }],
  OpenSent: [{ type: "ManualStart" }, { type: "Tcp_CR_Acked" }],
  OpenConfirm: [{ type: "ManualStart" }, { type: "Tcp_CR_Acked" }, { type: "BGPOpen", open: peerOpen }],
  Established: toEstablished,
};

function at(state: State): Fsm {
  const f = run(newFsm({ ...config, passive: state === "Active" }), reach[state]).fsm;
  assert.equal(f.state, state);
  return f;
}

/**
 * Expected next state for every (state, event) pair, written from RFC 4271 §8.2.2 with the
 * optional attributes of fsm.ts. Unlisted pairs go to Idle (the "any other event" rows) —
 * except in Idle itself, where any other event changes nothing.
 */
const table: Record<State, Partial<Record<EventType, State>>> = {
  Idle: { ManualStart: "Connect", AutomaticStart: "Idle", IdleHoldTimer_Expires: "Idle" },
  Connect: {
    ManualStart: "Connect",
    AutomaticStart: "Connect",
    ConnectRetryTimer_Expires: "Connect",
    Tcp_CR_Acked: "OpenSent",
    TcpConnectionConfirmed: "OpenSent",
    StableTimer_Expires: "Connect",
    UpdateSent: "Connect",
  },
  Active: {
    ManualStart: "Active",
    AutomaticStart: "Active",
    ConnectRetryTimer_Expires: "Active",
    Tcp_CR_Acked: "OpenSent",
    TcpConnectionConfirmed: "OpenSent",
    StableTimer_Expires: "Active",
    UpdateSent: "Active",
  },
  OpenSent: {
    ManualStart: "OpenSent",
    AutomaticStart: "OpenSent",
    Tcp_CR_Acked: "OpenSent",
    TcpConnectionConfirmed: "OpenSent",
    TcpConnectionFails: "Active",
    BGPOpen: "OpenConfirm",
    StableTimer_Expires: "OpenSent",
    UpdateSent: "OpenSent",
  },
  OpenConfirm: {
    ManualStart: "OpenConfirm",
    AutomaticStart: "OpenConfirm",
    Tcp_CR_Acked: "OpenConfirm",
    TcpConnectionConfirmed: "OpenConfirm",
    KeepaliveTimer_Expires: "OpenConfirm",
    KeepAliveMsg: "Established",
    StableTimer_Expires: "OpenConfirm",
    UpdateSent: "OpenConfirm",
  },
  Established: {
    ManualStart: "Established",
    AutomaticStart: "Established",
    Tcp_CR_Acked: "Established",
    TcpConnectionConfirmed: "Established",
    KeepaliveTimer_Expires: "Established",
    KeepAliveMsg: "Established",
    UpdateMsg: "Established",
    RouteRefreshMsg: "Established",
    StableTimer_Expires: "Established",
    UpdateSent: "Established",
  },
};

describe("RFC 4271 §8.2.2 transition table", () => {
  for (const s of States) {
    test(`${s}: every event`, () => {
      for (const [type, e] of Object.entries(samples) as [EventType, Event][]) {
        const want = table[s][type] ?? (s === "Idle" ? "Idle" : "Idle");
        const got = step(at(s), e);
        assert.equal(got.fsm.state, want, `${s} + ${type}`);
        // Leaving a connected state for Idle always drops the connection.
        if (want === "Idle" && s !== "Idle")
          assert.ok(
            got.actions.some((a) => a.type === "drop"),
            `${s} + ${type} drops`,
          );
      }
    });
  }
});

describe("session life", () => {
  test("OpenConfirm waits for the peer's KEEPALIVE before Established (MetalLB native skips it)", () => {
    const { fsm, actions } = run(newFsm(config), toEstablished.slice(0, 3));
    assert.equal(fsm.state, "OpenConfirm");
    assert.ok(!actions.some((a) => a.type === "established"));
    const after = step(fsm, { type: "NotifMsg", notification: notif });
    assert.equal(after.fsm.state, "Idle");
    assert.ok(!after.actions.some((a) => a.type === "send"), "a received NOTIFICATION is never answered");
  });

  test("negotiated hold time is the smaller; keepalive a third of it; hold time enforced", () => {
    const { fsm, actions } = run(newFsm(config), toEstablished);
    assert.equal(fsm.negotiated?.holdTime, 9);
    assert.ok(
      actions.some((a) => a.type === "startTimer" && a.timer === "KeepaliveTimer" && a.seconds === 3),
    );
    assert.ok(actions.some((a) => a.type === "established"));
    const expired = step(fsm, { type: "HoldTimer_Expires" });
    assert.equal(expired.fsm.state, "Idle");
    const sent = expired.actions.find((a) => a.type === "send");
    assert.ok(sent?.type === "send" && sent.message.type === "NOTIFICATION" && sent.message.code === 4);
    assert.ok(
      expired.actions.some((a) => a.type === "startTimer" && a.timer === "IdleHoldTimer"),
      "restarts automatically",
    );
  });

  test("hold time 0: no KeepaliveTimer and no HoldTimer", () => {
    const { fsm, actions } = run(newFsm(config), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { type: "BGPOpen", open: { ...peerOpen, holdTime: 0 } },
      { type: "KeepAliveMsg" },
    ]);
    assert.equal(fsm.state, "Established");
    const afterOpen = actions.slice(
      actions.findIndex((a) => a.type === "send" && a.message.type === "KEEPALIVE"),
    );
    assert.ok(
      !afterOpen.some(
        (a) => a.type === "startTimer" && (a.timer === "HoldTimer" || a.timer === "KeepaliveTimer"),
      ),
    );
  });

  test("bad peer AS in OPEN → NOTIFICATION 2/2 and Idle", () => {
    const r = run(newFsm(config), [
      { type: "ManualStart" },
      { type: "Tcp_CR_Acked" },
      { type: "BGPOpen", open: { ...peerOpen, parameters: [[{ code: 65, asn: 64999 }]] } },
    ]);
    assert.equal(r.fsm.state, "Idle");
    const n = r.actions.find((a) => a.type === "send" && a.message.type === "NOTIFICATION");
    assert.ok(
      n?.type === "send" &&
        n.message.type === "NOTIFICATION" &&
        n.message.code === 2 &&
        n.message.subcode === 2,
    );
    assert.equal(r.fsm.lastDown?.code, 2);
  });

  test("unexpected UPDATE in OpenSent → RFC 6608 FSM error 5/1", () => {
    const r = step(at("OpenSent"), samples.UpdateMsg);
    const n = r.actions.find((a) => a.type === "send");
    assert.ok(n?.type === "send" && n.message.type === "NOTIFICATION");
    assert.deepEqual([n.message.code, n.message.subcode], [5, 1]);
  });

  test("manual stop sends Cease with the given shutdown communication; a graceful restart sends none", () => {
    const withText = step(at("Established"), { type: "ManualStop" });
    const n = withText.actions.find((a) => a.type === "send");
    assert.ok(
      n?.type === "send" &&
        n.message.type === "NOTIFICATION" &&
        n.message.code === 6 &&
        n.message.subcode === 2,
    );
    assert.ok(!withText.actions.some((a) => a.type === "startTimer"), "a stopped session does not restart");
    const graceful = step(at("Established"), { type: "ManualStop", notification: "none" });
    assert.ok(!graceful.actions.some((a) => a.type === "send"));
    assert.ok(graceful.actions.some((a) => a.type === "drop"));
  });

  test("back-off grows on repeated failures and resets only after the session stayed up", () => {
    let f = newFsm(config);
    const waits: number[] = [];
    f = step(f, { type: "ManualStart" }).fsm;
    for (let i = 0; i < 6; i++) {
      const s = step(f, { type: "TcpConnectionFails" });
      const t = s.actions.find((a) => a.type === "startTimer" && a.timer === "IdleHoldTimer");
      assert.ok(t?.type === "startTimer");
      waits.push(t.seconds);
      f = step(s.fsm, { type: "IdleHoldTimer_Expires" }).fsm;
      assert.equal(f.state, "Connect");
    }
    assert.deepEqual(waits, [1, 2, 4, 8, 16, 32]);
    // Established, then down before the StableTimer: back-off continues.
    f = run(f, toEstablished.slice(1)).fsm;
    const early = step(f, { type: "TcpConnectionFails" });
    assert.ok(
      early.actions.some((a) => a.type === "startTimer" && a.timer === "IdleHoldTimer" && a.seconds === 64),
    );
    // Established long enough: the next failure starts again at 1 s.
    f = run(step(early.fsm, { type: "IdleHoldTimer_Expires" }).fsm, [
      ...toEstablished.slice(1),
      { type: "StableTimer_Expires" },
    ]).fsm;
    const late = step(f, { type: "TcpConnectionFails" });
    assert.ok(
      late.actions.some((a) => a.type === "startTimer" && a.timer === "IdleHoldTimer" && a.seconds === 1),
    );
    assert.equal(idleHoldFor(config, 100), 120, "capped");
  });

  test("passive sessions never connect", () => {
    const r = run(newFsm({ ...config, passive: true }), [
      { type: "ManualStart" },
      { type: "ConnectRetryTimer_Expires" },
    ]);
    assert.equal(r.fsm.state, "Active");
    assert.ok(!r.actions.some((a) => a.type === "connect"));
  });

  test("collision: the connection initiated by the higher BGP Identifier survives; AS breaks ties", () => {
    assert.equal(collisionWinner({ bgpId: 0x01010101, as: 1 }, { bgpId: 0x02020202, as: 1 }), "theirs");
    assert.equal(
      collisionWinner({ bgpId: 0xfe000001, as: 1 }, { bgpId: 0x02020202, as: 1 }),
      "ours",
      "unsigned compare",
    );
    assert.equal(collisionWinner({ bgpId: 5, as: 65002 }, { bgpId: 5, as: 65001 }), "ours");
    const dumped = step(at("OpenConfirm"), { type: "OpenCollisionDump" });
    const n = dumped.actions.find((a) => a.type === "send");
    assert.ok(
      n?.type === "send" &&
        n.message.type === "NOTIFICATION" &&
        n.message.code === 6 &&
        n.message.subcode === 7,
    );
  });
});

test("random event sequences: always a defined state, a NOTIFICATION is always followed by a drop", () => {
  const events = Object.values(samples);
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...events), { maxLength: 60 }), fc.boolean(), (seq, passive) => {
      let f = newFsm({ ...config, passive });
      for (const e of seq) {
        const s = step(f, e);
        assert.ok(States.includes(s.fsm.state));
        const i = s.actions.findIndex((a) => a.type === "send" && a.message.type === "NOTIFICATION");
        if (i >= 0) assert.ok(s.actions.slice(i).some((a) => a.type === "drop"));
        if (s.fsm.state === "Established") assert.ok(s.fsm.negotiated !== undefined);
        f = s.fsm;
      }
    }),
    { seed: 8, numRuns: 2000 },
  );
});
