// <agentjobs-inbox-tick>: keeps Mesop's inbox count fresh. It holds `socketUrl` (WS /inbox/ws),
// which pushes the count whenever it changes, and hands each count to Mesop; while that socket
// is down (an API the browser cannot reach, no socket URL) it asks Mesop to poll every
// `intervalMs` instead. Each dispatch stands alone: a lost one costs one refresh, nothing more.
const RECONNECT_MS = 2000;

class AgentjobsInboxTick extends HTMLElement {
  constructor() {
    super();
    this._p = {socketUrl: "", token: "", intervalMs: 5000, tickEvent: ""};
    this._timer = null;
    this._socket = null;
    this._socketKey = "";
    this._retry = null;
    for (const name of Object.keys(this._p)) {
      const preset = Object.prototype.hasOwnProperty.call(this, name);
      const value = preset ? this[name] : undefined;
      if (preset) delete this[name];
      Object.defineProperty(this, name, {
        get: () => this._p[name],
        set: (v) => {
          this._p[name] = v;
          this._restart();
        },
      });
      if (preset) this[name] = value;
    }
  }

  connectedCallback() {
    this._restart();
  }

  disconnectedCallback() {
    this._stopPolling();
    this._closeSocket();
  }

  _dispatch(payload) {
    if (this._p.tickEvent) this.dispatchEvent(new MesopEvent(this._p.tickEvent, payload));
  }

  _restart() {
    if (!this.isConnected) return;
    const key = this._p.socketUrl ? `${this._p.socketUrl}|${this._p.token}` : "";
    if (key !== this._socketKey) {
      this._closeSocket();
      this._socketKey = key;
      if (key) this._open();
    }
    if (!this._socket || this._socket.readyState !== WebSocket.OPEN) this._startPolling();
  }

  _open() {
    let url = this._p.socketUrl;
    if (this._p.token) url += `?token=${encodeURIComponent(this._p.token)}`;
    let socket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      this._scheduleReconnect();
      return;
    }
    this._socket = socket;
    socket.onopen = () => this._stopPolling();
    socket.onmessage = (message) => {
      try {
        const frame = JSON.parse(message.data);
        if (frame.type === "inbox") this._dispatch({count: frame.count});
      } catch (e) {
        /* not ours: ignore */
      }
    };
    socket.onclose = () => {
      if (this._socket !== socket) return;
      this._socket = null;
      this._startPolling();
      this._scheduleReconnect();
    };
  }

  _scheduleReconnect() {
    clearTimeout(this._retry);
    this._retry = setTimeout(() => {
      if (this.isConnected && this._socketKey && !this._socket) this._open();
    }, RECONNECT_MS);
  }

  _closeSocket() {
    clearTimeout(this._retry);
    const socket = this._socket;
    this._socket = null;
    if (socket) socket.close(1000);
  }

  _startPolling() {
    if (this._timer || !(this._p.intervalMs > 0)) return;
    this._timer = setInterval(() => {
      if (document.visibilityState === "hidden") return; // a background tab need not ask
      this._dispatch({});
    }, this._p.intervalMs);
  }

  _stopPolling() {
    clearInterval(this._timer);
    this._timer = null;
  }
}

customElements.define("agentjobs-inbox-tick", AgentjobsInboxTick);
