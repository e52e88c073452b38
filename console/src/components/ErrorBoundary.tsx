import { Component, type ErrorInfo, type ReactNode } from "react";

interface Props {
  children: ReactNode;
  /** Changing this value (e.g. the route) clears a caught error. */
  resetKey?: string;
}

interface State {
  error: Error | null;
  resetKey: string | undefined;
}

/** Never a blank page: a render error shows its message and a way out. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (props.resetKey !== state.resetKey) return { error: null, resetKey: props.resetKey };
    return null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("Promptyard console error", error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    const chunkFailed = /dynamically imported module|Importing a module script failed/i.test(
      error.message,
    );
    return (
      <div className="panel error-panel" role="alert">
        <h2>Something went wrong</h2>
        <p>
          {chunkFailed
            ? "Part of the console could not be loaded. The server may have been updated or the connection was lost."
            : error.message || "An unexpected error happened while showing this page."}
        </p>
        <div className="row">
          <button type="button" className="btn primary" onClick={() => window.location.reload()}>
            Reload the page
          </button>
          <button type="button" className="btn" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </div>
      </div>
    );
  }
}
