// What every view gets: where to draw, and whether it is still the view on
// screen (answers that arrive after the person moved on are dropped).
export interface View {
  main: HTMLElement;
  params: URLSearchParams;
  isCurrent(): boolean;
  /** Gives the view's heading the title and, after a navigation, the focus. */
  titled(heading: HTMLElement): void;
  categories: Promise<string[]>;
}

export type RenderView = (view: View) => Promise<void>;
