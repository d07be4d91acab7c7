package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"rekisteri/internal/errlog"
)

// streamSource is a function's DynamoDB stream event, polled as Lambda's
// event source mapping does: every shard in order, parents before their
// children, a batch at a time, and on a reported failure the same records
// again from the failed one (the mapping's retry; locally never given up).
type streamSource struct {
	function, table, arn string
	batchSize            int32
	events               []string // the filter's eventName values; nil lets all through

	mu     sync.Mutex // one poller at a time: iterators are shared
	shards map[string]*shardState
}

type shardState struct {
	iterator string // "" before the first poll
	done     bool   // closed and read to its end
	lastSeq  string // the last record read: where a fresh iterator goes on
	shard    string
}

// newStreamSource reads a DynamoDB event of the template. Its filter may
// only name eventName values: anything else would be silently ignored here
// and applied in AWS, so it is refused.
func (s *Stack) newStreamSource(function, evName string, ep map[string]any) (*streamSource, error) {
	src := &streamSource{function: function, arn: s.str(ep["Stream"]), batchSize: 100, shards: map[string]*shardState{}}
	if b, err := strconv.Atoi(s.str(ep["BatchSize"])); err == nil {
		src.batchSize = int32(min(b, 1000))
	}
	for logical, r := range s.resources {
		if r.attrs["StreamArn"] == src.arn && src.arn != "" {
			src.table = logical
		}
	}
	if src.table == "" {
		return nil, fmt.Errorf("%s: event %s names an unknown stream %q (does its table have a StreamSpecification?)", function, evName, src.arn)
	}
	for _, f := range asList(asMap(ep["FilterCriteria"])["Filters"]) {
		var pattern map[string][]string
		if err := json.Unmarshal([]byte(s.str(asMap(f)["Pattern"])), &pattern); err != nil || len(pattern) != 1 || pattern["eventName"] == nil {
			return nil, fmt.Errorf("%s: event %s: the local stack applies only filters on eventName, like {\"eventName\":[\"INSERT\"]}", function, evName)
		}
		src.events = append(src.events, pattern["eventName"]...)
	}
	return src, nil
}

func (s *Stack) streamsClient() *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(s.AWS, func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(s.opts.DynamoDBURL)
	})
}

// pollStreams runs one poll of every stream and returns how many records it
// handed to functions.
func (s *Stack) pollStreams(ctx context.Context) (int, error) {
	total := 0
	for _, src := range s.streams {
		n, err := s.pollStream(ctx, src)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Stack) pollStream(ctx context.Context, src *streamSource) (int, error) {
	src.mu.Lock()
	defer src.mu.Unlock()
	open, err := s.discoverShards(ctx, src)
	total := 0
	for _, id := range open {
		n, perr := s.pollShard(ctx, src, id, src.shards[id])
		total += n
		if perr != nil {
			return total, perr
		}
	}
	return total, err
}

// discoverShards starts reading the stream's new shards (a child only once
// its parent is read to its end) and returns the open ones, in the
// stream's order. The caller holds src.mu.
func (s *Stack) discoverShards(ctx context.Context, src *streamSource) ([]string, error) {
	desc, err := s.streamsAPI.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(src.arn)})
	if err != nil {
		return nil, fmt.Errorf("describe stream of %s: %w", src.table, err)
	}
	var open []string
	for _, sh := range desc.StreamDescription.Shards {
		id := aws.ToString(sh.ShardId)
		st := src.shards[id]
		if st == nil {
			if p := aws.ToString(sh.ParentShardId); p != "" && src.shards[p] != nil && !src.shards[p].done {
				continue // the parent's records first
			}
			it, err := s.streamsAPI.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(src.arn), ShardId: sh.ShardId, ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				return open, fmt.Errorf("shard iterator of %s: %w", src.table, err)
			}
			st = &shardState{iterator: aws.ToString(it.ShardIterator), shard: id}
			src.shards[id] = st
		}
		if !st.done {
			open = append(open, id)
		}
	}
	return open, nil
}

func (s *Stack) pollShard(ctx context.Context, src *streamSource, shardID string, st *shardState) (int, error) {
	ev, next, err := s.readShard(ctx, src, st)
	if err != nil || len(ev.Records) == 0 {
		st.advance(next, err)
		return 0, err
	}
	raw, _ := json.Marshal(ev)
	res, err := s.Functions[src.function].Invoke(ctx, raw)
	failedAt := ""
	if err != nil {
		// A returned error fails the whole batch, as in Lambda.
		slog.ErrorContext(ctx, "stream batch failed", "table", src.table, errlog.Attr(err))
		failedAt = ev.Records[0].Change.SequenceNumber
	} else if resp, ok := res.(events.DynamoDBEventResponse); ok {
		for _, f := range resp.BatchItemFailures {
			if failedAt == "" || seqLess(f.ItemIdentifier, failedAt) {
				failedAt = f.ItemIdentifier
			}
		}
	} else {
		return 0, errors.New("stream handler returned no batch response")
	}
	if failedAt != "" {
		it, err := s.streamsAPI.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(src.arn), ShardId: aws.String(shardID),
			ShardIteratorType: stypes.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(failedAt)})
		if err != nil {
			return len(ev.Records), fmt.Errorf("retry iterator of %s: %w", src.table, err)
		}
		next = aws.ToString(it.ShardIterator)
	}
	st.advance(next, nil)
	return len(ev.Records), nil
}

func (st *shardState) advance(next string, err error) {
	if err != nil {
		return
	}
	st.done = next == ""
	st.iterator = next
}

// readShard reads the shard's next records as the event Lambda would
// deliver (filtered), and the iterator after them.
func (s *Stack) readShard(ctx context.Context, src *streamSource, st *shardState) (events.DynamoDBEvent, string, error) {
	out, err := s.streamsAPI.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(st.iterator), Limit: aws.Int32(src.batchSize)})
	var expired *stypes.ExpiredIteratorException
	var trimmed *stypes.TrimmedDataAccessException
	if errors.As(err, &expired) || errors.As(err, &trimmed) {
		// An iterator lasts 15 minutes and DynamoDB Local trims as it
		// likes: go on after the last record read, as Lambda's mapping does.
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(src.arn), ShardId: aws.String(st.shard), ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon}
		if st.lastSeq != "" && expired != nil {
			in.ShardIteratorType, in.SequenceNumber = stypes.ShardIteratorTypeAfterSequenceNumber, aws.String(st.lastSeq)
		}
		it, ierr := s.streamsAPI.GetShardIterator(ctx, in)
		if ierr != nil {
			return events.DynamoDBEvent{}, "", fmt.Errorf("fresh iterator of %s: %w", src.table, ierr)
		}
		st.iterator = aws.ToString(it.ShardIterator)
		out, err = s.streamsAPI.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(st.iterator), Limit: aws.Int32(src.batchSize)})
	}
	if err != nil {
		return events.DynamoDBEvent{}, "", fmt.Errorf("records of %s: %w", src.table, err)
	}
	if n := len(out.Records); n > 0 && out.Records[n-1].Dynamodb != nil {
		st.lastSeq = aws.ToString(out.Records[n-1].Dynamodb.SequenceNumber)
	}
	ev := events.DynamoDBEvent{}
	for _, r := range out.Records {
		if src.events != nil && !slices.Contains(src.events, string(r.EventName)) {
			continue
		}
		rec := streamRecord(r, src.arn, s.region)
		if s.opts.OnMessage != nil {
			keys, _ := json.Marshal(rec.Change.Keys)
			s.opts.OnMessage(src.table+" stream", string(keys))
		}
		ev.Records = append(ev.Records, rec)
	}
	return ev, aws.ToString(out.NextShardIterator), nil
}

// TakeStreamEvent reads the next records of function's stream and returns
// them as the event Lambda would deliver, without invoking the function:
// the stack will not deliver them again (the bench invokes them itself).
func (s *Stack) TakeStreamEvent(ctx context.Context, function string) ([]byte, error) {
	for _, src := range s.streams {
		if src.function != function {
			continue
		}
		for range 20 {
			src.mu.Lock()
			if _, err := s.discoverShards(ctx, src); err != nil {
				src.mu.Unlock()
				return nil, err
			}
			for _, st := range src.shards {
				if st.done {
					continue
				}
				ev, next, err := s.readShard(ctx, src, st)
				st.advance(next, err)
				if err != nil {
					src.mu.Unlock()
					return nil, err
				}
				if len(ev.Records) > 0 {
					src.mu.Unlock()
					return json.Marshal(ev)
				}
			}
			src.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
		return nil, fmt.Errorf("no records on the stream of %s", function)
	}
	return nil, fmt.Errorf("%s has no stream event", function)
}

// seqLess orders stream sequence numbers: decimal strings of any length.
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// streamRecord is a record as Lambda puts it in the event.
func streamRecord(r stypes.Record, arn, region string) events.DynamoDBEventRecord {
	d := r.Dynamodb
	rec := events.DynamoDBEventRecord{
		EventID: aws.ToString(r.EventID), EventName: string(r.EventName), EventSource: "aws:dynamodb",
		EventVersion: aws.ToString(r.EventVersion), AWSRegion: region, EventSourceArn: arn,
	}
	if d == nil {
		return rec
	}
	rec.Change = events.DynamoDBStreamRecord{
		Keys: attrs(d.Keys), NewImage: attrs(d.NewImage), OldImage: attrs(d.OldImage),
		SequenceNumber: aws.ToString(d.SequenceNumber), SizeBytes: aws.ToInt64(d.SizeBytes), StreamViewType: string(d.StreamViewType),
	}
	if d.ApproximateCreationDateTime != nil {
		rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: d.ApproximateCreationDateTime.Truncate(time.Second)}
	}
	return rec
}

func attrs(m map[string]stypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = attr(v)
	}
	return out
}

func attr(v stypes.AttributeValue) events.DynamoDBAttributeValue {
	switch x := v.(type) {
	case *stypes.AttributeValueMemberS:
		return events.NewStringAttribute(x.Value)
	case *stypes.AttributeValueMemberN:
		return events.NewNumberAttribute(x.Value)
	case *stypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(x.Value)
	case *stypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(x.Value)
	case *stypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(x.Value)
	case *stypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(x.Value)
	case *stypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(x.Value)
	case *stypes.AttributeValueMemberM:
		return events.NewMapAttribute(attrs(x.Value))
	case *stypes.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(x.Value))
		for i, e := range x.Value {
			l[i] = attr(e)
		}
		return events.NewListAttribute(l)
	}
	return events.NewNullAttribute()
}
