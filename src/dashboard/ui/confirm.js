// The confirmation step of destructive actions: a dialog that says what will happen.
import { html } from "/assets/htm-preact.mjs";

/** A dialog asking to confirm `message`; `onAnswer(true)` on yes, `onAnswer(false)` on no. */
export function Confirm({ message, action, onAnswer }) {
  return html`
    <div class="backdrop">
      <div class="dialog" role="dialog" aria-modal="true" id="confirm">
        <p>${message}</p>
        <button id="confirm-yes" class="danger" onClick=${() => onAnswer(true)}>${action}</button>
        <button id="confirm-no" onClick=${() => onAnswer(false)}>Cancel</button>
      </div>
    </div>
  `;
}
