/**
 * Keeps the Lab page's threshold slider and the setting electraLab.heatmap.threshold one value, both ways,
 * without echoes: the host sends the page the setting only when it differs from what the page shows, and
 * writes the setting only when the page's value differs from it. While the page's values are being
 * written, the change events those writes cause say nothing new and are let pass; once they are written,
 * the setting is compared with the page once more (a failed write, or an edit meanwhile, shows there).
 * A slider moved faster than settings.json is written costs at most two writes: the running one and the
 * newest value.
 *
 * No `vscode` import: the Lab panel passes how the setting is read and written, so this is unit-tested.
 */
export interface ThresholdSetting {
  read(): number;
  write(value: number): PromiseLike<void>;
}

export class ThresholdSync {
  /** The value the page shows as far as the host knows; undefined until the page has been told one. */
  private shown: number | undefined;
  /** The page's newest value not yet written, and the writes under way. */
  private newest: number | undefined;
  private writes: Promise<void> | undefined;

  constructor(private readonly setting: ThresholdSetting, private readonly send: (threshold: number) => void) {}

  /** The page (re)loaded: whatever threshold it restored, the setting's value wins. */
  pageReady(): void {
    this.shown = undefined;
    this.settingChanged();
  }

  /** The setting changed (the settings editor, settings.json, or a write of ours). */
  settingChanged(): void {
    if (this.writes) return;
    const value = this.setting.read();
    if (value === this.shown) return;
    this.shown = value;
    this.send(value);
  }

  /** The user set the slider; resolves when the setting holds it (rejects when it could not be written). */
  pageSet(threshold: number): Promise<void> {
    this.shown = threshold;
    this.newest = threshold;
    this.writes ??= this.writeNewest().finally(() => {
      this.writes = undefined;
      this.newest = undefined;
      this.settingChanged();
    });
    return this.writes;
  }

  private async writeNewest(): Promise<void> {
    for (let value = this.newest; value !== undefined; value = this.newest) {
      this.newest = undefined;
      if (value !== this.setting.read()) await this.setting.write(value);
    }
  }
}
