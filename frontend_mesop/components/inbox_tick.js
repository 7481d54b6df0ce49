// <agentjobs-inbox-tick>: asks Mesop to refresh the inbox count every `intervalMs`. Each tick is
// on its own (a lost one is just a missed refresh), so nothing depends on a chain of handlers.
class AgentjobsInboxTick extends HTMLElement {
  constructor() {
    super();
    this._p = {intervalMs: 5000, tickEvent: ""};
    this._timer = null;
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
    clearInterval(this._timer);
    this._timer = null;
  }

  _restart() {
    clearInterval(this._timer);
    this._timer = null;
    if (!this.isConnected || !this._p.tickEvent || !(this._p.intervalMs > 0)) return;
    this._timer = setInterval(() => {
      if (document.visibilityState === "hidden") return; // a background tab need not ask
      this.dispatchEvent(new MesopEvent(this._p.tickEvent, {}));
    }, this._p.intervalMs);
  }
}

customElements.define("agentjobs-inbox-tick", AgentjobsInboxTick);
