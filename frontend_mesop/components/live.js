// <agentjobs-live>: holds the attached job's WebSocket in the browser and hands its events to
// Mesop in batches, one batch in flight at a time; a watchdog keeps it going whatever is lost.
// See frontend_mesop/components/live.py for the design and the Python side.
const RESEND_MS = 1500; // no ack for this long: the batch (or poll) was lost; send it again
const RECONNECT_MAX_MS = 1000; // the socket's reconnect backoff stops growing here
const DEGRADED_AFTER = 2; // failed connects in a row before Mesop polls the API itself
const DEGRADED_POLL_MS = 1000; // how often Mesop polls while the socket cannot connect
const PING_MS = 15000; // a quiet socket is pinged this often...
const PONG_MS = 10000; // ...and closed (then reopened) when nothing came back this long
const CONNECT_MS = 3000; // a handshake still pending after this long is given up
const STUCK_MS = 20000; // events waiting and Mesop answering nothing this long: reload
const BATCH_MAX = 500; // events per batch (the state Mesop sends back stays bounded anyway)
const FINISHED = 1000; // the API closes a job's socket with 1000 once its terminal event is sent
const PROPS = ["socketUrl", "token", "jobId", "cursor", "ack", "pollMs", "eventsEvent", "pollEvent"];

// Stream ids order as (ms, seq) integer pairs, never as strings.
function cursorKey(cursor) {
  const [ms, seq] = String(cursor || "0").split("-");
  return [Number(ms) || 0, Number(seq) || 0];
}

function isAfter(cursor, than) {
  const [a, b] = cursorKey(cursor);
  const [c, d] = cursorKey(than);
  return a > c || (a === c && b > d);
}

class AgentjobsLive extends HTMLElement {
  constructor() {
    super();
    this._p = {socketUrl: "", token: "", jobId: "", cursor: "0", ack: -1, pollMs: 0,
      eventsEvent: "", pollEvent: ""};
    this._buffer = []; // [id, raw JSON] received after the cursor Mesop last showed us
    this._last = "0"; // the newest id received on the current socket
    this._socket = null;
    this._socketKey = "";
    this._finishedKey = ""; // the socket that closed with FINISHED: never reopened
    this._failures = 0;
    this._reconnectAt = 0;
    this._openedAt = 0;
    this._seq = 0; // the last batch or poll dispatched
    this._sentAt = 0;
    this._inFlight = false;
    this._lastPollAt = 0;
    this._waitingSince = 0; // when the oldest unacknowledged dispatch went out; 0: none
    this._heardAt = 0;
    this._pingAt = 0;
    this._scheduled = false;
    this._watchdog = null;
    for (const name of PROPS) {
      // A property set before this class was defined sits on the instance and would hide
      // the accessor below: take it over.
      const preset = Object.prototype.hasOwnProperty.call(this, name);
      const value = preset ? this[name] : undefined;
      if (preset) delete this[name];
      Object.defineProperty(this, name, {
        get: () => this._p[name],
        set: (v) => {
          this._p[name] = v;
          this._changed();
        },
      });
      if (preset) this[name] = value;
    }
  }

  connectedCallback() {
    if (!this._watchdog) this._watchdog = setInterval(() => this._check(), 250);
    this._changed();
  }

  disconnectedCallback() {
    clearInterval(this._watchdog);
    this._watchdog = null;
    this._close();
  }

  // Mesop sets properties one by one: act once they are all in.
  _changed() {
    if (this._scheduled) return;
    this._scheduled = true;
    queueMicrotask(() => {
      this._scheduled = false;
      this._sync();
    });
  }

  _sync() {
    const p = this._p;
    // A new element on a page that already applied dispatches continues their numbering.
    this._seq = Math.max(this._seq, Number(p.ack) || 0);
    if (Number(p.ack) >= this._seq) {
      this._inFlight = false;
      this._waitingSince = 0;
    }
    this._buffer = this._buffer.filter(([id]) => isAfter(id, p.cursor));
    const key = p.socketUrl && p.jobId ? `${p.socketUrl}|${p.token}` : "";
    if (key !== this._socketKey) {
      this._close();
      this._socketKey = key;
      this._buffer = [];
      this._last = p.cursor;
      this._failures = 0;
      this._reconnectAt = 0;
    }
    this._check();
  }

  _check() {
    const now = Date.now();
    if (this._inFlight && now - this._sentAt > RESEND_MS) {
      this._inFlight = false; // lost (an unknown handler, a refused request): send again
    }
    if (this._waitingSince && now - this._waitingSince > STUCK_MS) {
      // Mesop's own channel is wedged (a request that never ended): only a reload clears it;
      // the job in the URL and the cursor bring the page back where it was.
      location.reload();
      return;
    }
    this._keepSocket(now);
    if (!this._inFlight) this._flush(now);
  }

  _wantsSocket() {
    return this._socketKey && this._socketKey !== this._finishedKey;
  }

  _keepSocket(now) {
    if (!this._wantsSocket()) return;
    if (!this._socket) {
      if (now >= this._reconnectAt) this._open();
      return;
    }
    const state = this._socket.readyState;
    const stalled = state === WebSocket.CONNECTING && now - this._openedAt > CONNECT_MS;
    if (stalled || state === WebSocket.CLOSED) {
      // Blocked, blackholed, or closed without telling us: count it, try again, poll meanwhile.
      this._drop();
      return;
    }
    if (this._socket.readyState !== WebSocket.OPEN) return;
    if (now - this._heardAt > PING_MS && now - this._pingAt > PING_MS) {
      this._pingAt = now;
      this._socket.send('{"type":"ping"}');
    }
    if (this._pingAt > this._heardAt && now - this._pingAt > PONG_MS) this._drop();
  }

  _open() {
    const after = isAfter(this._last, this._p.cursor) ? this._last : this._p.cursor;
    let url = `${this._p.socketUrl}?after=${encodeURIComponent(after)}`;
    if (this._p.token) url += `&token=${encodeURIComponent(this._p.token)}`;
    const key = this._socketKey;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      this._failed();
      return;
    }
    this._socket = socket;
    this._openedAt = Date.now();
    socket.onopen = () => {
      this._failures = 0;
      this._heardAt = Date.now();
    };
    socket.onmessage = (message) => this._received(String(message.data));
    socket.onclose = (closed) => {
      if (this._socket !== socket) return;
      this._socket = null;
      if (closed.code === FINISHED) {
        this._finishedKey = key;
      } else {
        this._failed();
      }
    };
  }

  _failed() {
    this._failures += 1;
    this._reconnectAt = Date.now() + Math.min(100 * 2 ** this._failures, RECONNECT_MAX_MS);
  }

  // Give up on the current socket now, without waiting for its close event.
  _drop() {
    this._close();
    this._failed();
  }

  _close() {
    const socket = this._socket;
    this._socket = null;
    if (socket) socket.close();
  }

  _received(raw) {
    this._heardAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch (err) {
      return;
    }
    if (!frame.id || !isAfter(frame.id, this._last)) return; // pong, protocol_error, a repeat
    this._last = frame.id;
    if (!isAfter(frame.id, this._p.cursor)) return;
    this._buffer.push([frame.id, raw]);
    if (frame.type === "stream_chunk") this._preview(frame);
    if (!this._inFlight) this._flush(Date.now());
  }

  // Show a token at once in the bubble Mesop already renders for its sender's stream: a
  // Mesop round trip per batch is too slow for token streaming. Mesop's next render of that
  // bubble replaces this text with its own (the same text, as Markdown).
  _preview(frame) {
    const bubbles = document.querySelectorAll(".aj-stream");
    for (let i = bubbles.length - 1; i >= 0; i--) {
      const sender = bubbles[i].querySelector(".aj-sender");
      if (!sender || sender.textContent.trim() !== frame.sender) continue;
      const body = bubbles[i].querySelector(".aj-body");
      if (!body) return;
      const paragraphs = body.querySelectorAll("p");
      const target = paragraphs.length ? paragraphs[paragraphs.length - 1] : body;
      target.appendChild(document.createTextNode(frame.content));
      return;
    }
  }

  _flush(now) {
    const p = this._p;
    if (this._buffer.length && p.eventsEvent) {
      const events = this._buffer.slice(0, BATCH_MAX).map(([, raw]) => raw);
      this._waitingSince = this._waitingSince || now; // only batches: polls may be slow
      this._dispatch(p.eventsEvent, {job: p.jobId, after: p.cursor, events}, now);
      return;
    }
    // Mesop polls the API itself while it asks to (API down, no catalog yet) or while the
    // socket cannot connect (an API the browser cannot reach, a refused token).
    const degraded = this._wantsSocket() && !this._socket && this._failures >= DEGRADED_AFTER;
    const every = degraded ? DEGRADED_POLL_MS : Number(p.pollMs) || 0;
    if (every > 0 && p.pollEvent && now - this._lastPollAt >= every) {
      this._lastPollAt = now;
      this._dispatch(p.pollEvent, {job: p.jobId}, now);
    }
  }

  _dispatch(handlerId, payload, now) {
    this._seq += 1;
    this._inFlight = true;
    this._sentAt = now;
    this.dispatchEvent(new MesopEvent(handlerId, {seq: this._seq, ...payload}));
  }
}

if (!customElements.get("agentjobs-live")) {
  customElements.define("agentjobs-live", AgentjobsLive);
}
