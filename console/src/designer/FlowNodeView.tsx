// How one flow node looks on the canvas: its kind, id, options ("or"), test, and problems.
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { describeExpr, handlesOf, kindLabel, type FlowNode } from "./model";

export interface FlowNodeData extends Record<string, unknown> {
  node: FlowNode;
  problems: string[];
  start: boolean;
  label: (option: string) => string;
}

export type FlowRfNode = Node<FlowNodeData, "flow">;

function FlowNodeViewImpl({ data, selected }: NodeProps<FlowRfNode>) {
  const { node, problems, start, label } = data;
  const handles = handlesOf(node.type);
  const classes = ["flow-node", `flow-node--${node.type}`];
  if (problems.length) classes.push("flow-node--invalid");
  if (selected) classes.push("flow-node--selected");
  return (
    <div className={classes.join(" ")} data-testid={`node-${node.id}`}>
      <Handle type="target" position={Position.Top} className="flow-handle" />
      <div className="flow-node__head">
        <span className="flow-node__kind">{kindLabel(node.type)}</span>
        {start && <span className="flow-node__start">start</span>}
        {problems.length > 0 && (
          <span className="flow-node__badge" title={problems.join("\n")}>
            <span aria-hidden="true">{problems.length}</span>
            <span className="visually-hidden">{problems.length} problem(s)</span>
          </span>
        )}
      </div>
      <div className="flow-node__id">{node.id}</div>
      {node.options && node.options.length > 0 && (
        <ul className="flow-node__options" aria-label="Options (any one passes)">
          {node.options.map((o, i) => (
            <li key={o}>
              {i > 0 && <span className="flow-node__or">or </span>}
              {label(o)}
            </li>
          ))}
        </ul>
      )}
      {node.type === "step" && (!node.options || node.options.length === 0) && (
        <div className="flow-node__hint">Drop an authenticator here</div>
      )}
      {node.type === "condition" && <div className="flow-node__expr">if {describeExpr(node.if)}</div>}
      {node.type === "limit_sessions" && (
        <div className="flow-node__expr">
          at most {node.max ?? "?"} · {node.on_exceed ?? "?"}
        </div>
      )}
      {(node.type === "deny" || node.type === "lock") && node.message && <div className="flow-node__message">“{node.message}”</div>}
      {problems.length > 0 && (
        <p className="flow-node__problem" role="note">
          {problems[0]}
        </p>
      )}
      {handles.length === 1 && <Handle type="source" id="next" position={Position.Bottom} className="flow-handle" />}
      {handles.length === 2 && (
        <>
          <Handle type="source" id="then" position={Position.Bottom} className="flow-handle flow-handle--then" />
          <Handle type="source" id="else" position={Position.Bottom} className="flow-handle flow-handle--else" />
          <div className="flow-node__branches" aria-hidden="true">
            <span>then</span>
            <span>else</span>
          </div>
        </>
      )}
    </div>
  );
}

export const FlowNodeView = memo(FlowNodeViewImpl);
export const nodeTypes = { flow: FlowNodeView };
