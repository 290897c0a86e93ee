/** Lab panel: a corruption sample, the whole-file heatmap, and a run's logged samples. */
import '../shared/base.css';
import '../shared/heat.css';
import '../components/components.css';
import './lab.css';
import type { LabFromWebview, LabTab, LabToWebview } from '../../src/protocol';
import { parseLabToWebview } from '../../src/protocol-guards';
import { statusLine } from '../components/status';
import { tabs } from '../components/tabs';
import { el } from '../shared/dom';
import { heatLegend, installHeatScale } from '../shared/heat';
import { listen } from '../shared/messages';
import { connectHost, field, isNumber } from '../shared/vscode-api';
import { corruptionTab } from './corruption-tab';
import { heatmapTab } from './heatmap-tab';
import { samplesTab } from './samples-tab';
import { thresholdSlider } from './threshold-slider';

installHeatScale();

type Tab = LabTab;
type Corruption = Extract<LabToWebview, { type: 'corruption' }>;
type Heatmap = Extract<LabToWebview, { type: 'heatmap' }>;
type RunSamples = Extract<LabToWebview, { type: 'runSamples' }>;
interface LabState {
  tab: Tab;
  threshold: number;
  seed: number;
  sampleIndex: number;
  corruption?: Corruption;
  heatmap?: Heatmap;
  runSamples?: RunSamples;
}
/** Beyond this a heatmap is not kept in the webview state (VS Code serialises it on every save). */
const MAX_SAVED_HEATMAP_TOKENS = 50_000;

const host = connectHost<LabFromWebview, LabState>();
const saved = host.restored();
const isTab = (v: unknown): v is Tab => v === 'corruption' || v === 'heatmap' || v === 'samples';
// Saved messages are re-validated: state is data like any message, and may come from an older page.
const restoredMessage = <T extends LabToWebview['type']>(key: string, type: T) => {
  const m = parseLabToWebview(field(saved, key, (v): v is unknown => v !== undefined));
  return m?.type === type ? (m as Extract<LabToWebview, { type: T }>) : undefined;
};
const state: LabState = {
  tab: field(saved, 'tab', isTab) ?? 'corruption',
  threshold: Math.min(1, Math.max(0, field(saved, 'threshold', isNumber) ?? 0.5)),
  seed: Math.max(0, Math.floor(field(saved, 'seed', isNumber) ?? 1)),
  sampleIndex: Math.max(0, Math.floor(field(saved, 'sampleIndex', isNumber) ?? 0)),
  corruption: restoredMessage('corruption', 'corruption'),
  heatmap: restoredMessage('heatmap', 'heatmap'),
  runSamples: restoredMessage('runSamples', 'runSamples'),
};
const save = () => {
  const big = state.heatmap && state.heatmap.tokens.length > MAX_SAVED_HEATMAP_TOKENS;
  host.save(big ? { ...state, heatmap: undefined } : state);
};

const status = statusLine();
const corruption = corruptionTab({
  resample: () => {
    state.seed += 1;
    save();
    status.busy(`Resampling with seed ${state.seed}…`);
    host.post({ type: 'resample', seed: state.seed });
  },
  reveal: (uri, start, end) => host.post({ type: 'reveal', uri, start, end }),
});
const heatmap = heatmapTab({
  refresh: () => host.post({ type: 'refreshHeatmap' }),
  reveal: (uri, start, end) => host.post({ type: 'reveal', uri, start, end }),
});
const samples = samplesTab({
  load: () => host.post({ type: 'loadRunSamples', runDir: state.runSamples?.runDir }),
  moved: (index) => {
    state.sampleIndex = index;
    save();
  },
});

const threshold = thresholdSlider({
  value: state.threshold,
  onInput: (v) => {
    state.threshold = v;
    applyThreshold();
    save();
  },
  onSettled: (v) => host.post({ type: 'setThreshold', threshold: v }),
});
const applyThreshold = () => {
  corruption.setThreshold(state.threshold);
  heatmap.setThreshold(state.threshold);
  samples.setThreshold(state.threshold);
};

const views = tabs<Tab>(
  [
    { id: 'corruption', label: 'Corruption', panel: corruption.el },
    { id: 'heatmap', label: 'Heatmap', panel: heatmap.el },
    { id: 'samples', label: 'Run samples', panel: samples.el },
  ],
  state.tab,
  (id) => {
    state.tab = id;
    save();
  },
);

document.getElementById('app')!.append(
  el('h1', { text: 'ELECTRA Lab' }),
  status.el,
  el('div', { className: 'toolbar' }, [threshold.el, heatLegend()]),
  views.el,
);

applyThreshold();
if (state.corruption) corruption.show(state.corruption, state.seed);
if (state.heatmap) heatmap.show(state.heatmap);
if (state.runSamples) samples.show(state.runSamples, state.sampleIndex);

listen(
  parseLabToWebview,
  (m) => {
    switch (m.type) {
      case 'corruption':
        status.done();
        state.corruption = m;
        state.seed = m.seed;
        corruption.show(m, m.seed);
        break;
      case 'heatmap':
        status.done();
        state.heatmap = m;
        heatmap.show(m);
        break;
      case 'runSamples':
        status.done();
        state.runSamples = m;
        state.sampleIndex = Math.min(state.sampleIndex, Math.max(0, m.samples.length - 1));
        samples.show(m, state.sampleIndex);
        break;
      case 'showTab':
        state.tab = m.tab;
        views.select(m.tab);
        save();
        break;
      case 'threshold':
        // The setting's value; the slider may show it rounded to its step, the counts use it exactly.
        state.threshold = m.threshold;
        threshold.fromHost(m.threshold);
        break;
      case 'busy':
        status.busy(m.message);
        return;
      case 'error':
        status.error(m.message);
        return;
    }
    applyThreshold();
    save();
  },
  status.malformed,
);
host.post({ type: 'ready' });
