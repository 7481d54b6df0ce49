// <agentjobs-ticker>: fires one `tickEvent` `delayMs` after its `seq` property changes.
// The page bumps `seq` at the end of each refresh, so refreshes chain one after another
// while each Mesop handler stays short (see frontend_mesop/components/ticker.py).
class AgentjobsTicker extends HTMLElement {
  constructor() {
    super();
    this._seq = -1;
    this._delayMs = 0;
    this._tickEvent = "";
    this._timer = null;
    // Properties set before this class was defined sit on the instance and would hide the
    // setters below: take them over.
    for (const name of ["seq", "delayMs", "tickEvent"]) {
      if (Object.prototype.hasOwnProperty.call(this, name)) {
        const value = this[name];
        delete this[name];
        this[name] = value;
      }
    }
  }

  set seq(value) {
    if (value !== this._seq) {
      this._seq = value;
      this._schedule();
    }
  }

  get seq() {
    return this._seq;
  }

  set delayMs(value) {
    this._delayMs = Number(value) || 0;
  }

  get delayMs() {
    return this._delayMs;
  }

  set tickEvent(handlerId) {
    const first = !this._tickEvent;
    this._tickEvent = handlerId;
    if (first) this._schedule();
  }

  get tickEvent() {
    return this._tickEvent;
  }

  connectedCallback() {
    // Mesop may move the element; a pending refresh must survive that.
    if (!this._timer) this._schedule();
  }

  disconnectedCallback() {
    clearTimeout(this._timer);
    this._timer = null;
  }

  _schedule() {
    clearTimeout(this._timer);
    if (!this._tickEvent || this._seq < 0) return;
    const seq = this._seq;
    this._timer = setTimeout(() => {
      this._timer = null;
      this.dispatchEvent(new MesopEvent(this._tickEvent, { seq }));
    }, this._delayMs);
  }
}

if (!customElements.get("agentjobs-ticker")) {
  customElements.define("agentjobs-ticker", AgentjobsTicker);
}
